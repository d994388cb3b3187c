"""Drawing an inspection's case and survey samples from a population."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from typing import Any

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from app.auth.permissions import Principal
from app.errors import BadRequest, Conflict, ValidationFailed, row_error
from app.models import Case, Inspection, utcnow
from app.models.case import CASE_ATTRIBUTES
from app.models.inspection import InspectionStatus
from app.models.sample import PopulationFormat, SampleResult
from app.rules import sampling
from app.rules.case_rules import check_case
from app.services.audit import service as audit
from app.services.cases import tally as answer_tally
from app.services.cases.service import framework_index, trust_codes
from app.services.inspections.service import ensure_writable, lock

MAX_POPULATION = 20_000


def read_population(text: str, population_format: PopulationFormat) -> list[dict[str, Any]]:
    """Population rows from CSV, a JSON array, or {"population": [...]}."""
    if population_format is PopulationFormat.csv:
        rows: Any = list(csv.DictReader(io.StringIO(text)))
    else:
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError) as exc:  # deep nesting is malformed input too
            raise BadRequest(f"the population is not valid JSON: {exc}") from exc
        rows = parsed.get("population") if isinstance(parsed, dict) else parsed
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise BadRequest('send a JSON array of case objects, or {"population": [...]}')
    if len(rows) > MAX_POPULATION:
        raise ValidationFailed(f"a population holds at most {MAX_POPULATION} people", errors=[])
    return rows


def _checked_population(
    session: Session, inspection: Inspection, rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    index, trusts = framework_index(session, inspection), trust_codes(session, inspection)
    faults: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    refs = Counter(str(row.get("case_ref", "")).strip() for row in rows)
    for number, row in enumerate(rows, start=1):
        unknown = sorted(set(row) - set(CASE_ATTRIBUTES))
        faults += [
            row_error(number, name, "unknown_column", f"{name} is not a case attribute")
            for name in unknown
        ]
        checked = check_case(
            {key: value for key, value in row.items() if key in CASE_ATTRIBUTES}, index, trusts
        )
        faults += [
            row_error(number, fault.field, fault.code, fault.message) for fault in checked.faults
        ]
        ref = checked.attributes.get("case_ref")
        if ref and refs[ref] > 1:
            faults.append(
                row_error(
                    number,
                    "case_ref",
                    "duplicate_case_ref",
                    f"case_ref {ref!r} appears more than once",
                )
            )
        people.append({**checked.attributes, "in_scope": checked.in_scope})
    if faults:
        raise ValidationFailed(f"{len(faults)} fault(s) in the population", errors=faults)
    return people


def draw_sample(
    session: Session,
    principal: Principal,
    inspection: Inspection,
    rows: list[dict[str, Any]],
    *,
    case_size: int,
    survey_size: int,
    seed: str | None,
    replace: bool,
) -> SampleResult:
    # Two draws at once would both see no sample yet; the second waits and then sees it.
    lock(session, inspection)
    ensure_writable(inspection)
    if inspection.status not in (InspectionStatus.planned, InspectionStatus.fieldwork):
        raise Conflict("a sample is drawn before or during fieldwork")
    existing = session.exec(
        select(func.count()).select_from(Case).where(Case.inspection_id == inspection.id)
    ).one()
    if (inspection.sample or existing) and not replace:
        raise Conflict(
            "this inspection already has a sample; send replace=true to draw again", cases=existing
        )
    people = _checked_population(session, inspection, rows)
    # Sorting makes the draw depend only on the population and the seed, not on row order.
    eligible = sorted(
        (person for person in people if person["in_scope"]), key=lambda person: person["case_ref"]
    )
    seed = seed or sampling.new_seed()
    case_sample, survey_sample = sampling.draw_two(eligible, case_size, survey_size, seed)
    if existing:
        session.exec(delete(Case).where(col(Case.inspection_id) == inspection.id))  # type: ignore[call-overload]
    for person in case_sample:
        session.add(Case(inspection_id=inspection.id, **person))
    answer_tally.refresh(session, inspection.id)
    before = inspection.sample
    result = SampleResult(
        seed=seed,
        population=len(people),
        in_scope=len(eligible),
        case_size=case_size,
        survey_size=survey_size,
        cases_created=len(case_sample),
        case_refs=[person["case_ref"] for person in case_sample],
        survey_refs=[person["case_ref"] for person in survey_sample],
    )
    inspection.sample = {
        **result.model_dump(),
        "drawn_at": utcnow().isoformat(),
        "drawn_by": principal.subject,
        "replaced_cases": existing,
    }
    inspection.revision += 1
    inspection.updated_at = utcnow()
    session.add(inspection)
    session.flush()
    audit.record(
        session,
        principal,
        "inspection.sample_drawn",
        "inspection",
        inspection.id,
        {"sample": before},
        {"sample": inspection.sample},
    )
    return result
