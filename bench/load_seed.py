"""A scratch database for the load benchmark: migrated, reference data, demo-like data.

Demo users and the Durham inspection (app.cli.demo), more 20-case inspections, a
published findings letter per eligible trust, an empty inspection the import writes to,
and the CSV that import uploads.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, select

from app.cli.demo import DEMO_ACTOR, demo_case, load_demo
from app.models import Framework, Inspection
from app.models.inspection import InspectionCreate, InspectionStatus
from app.services.cases import service as cases
from app.services.cases.export import cell
from app.services.frameworks import service as frameworks
from app.services.inspections import service as inspections
from app.services.letters import service as letters

EXTRA_ESTABLISHMENTS = ("deerbolt", "high-down", "shrewsbury")
IMPORT_ESTABLISHMENT = "stafford"


@dataclass
class Fixture:
    scored: list[str] = field(default_factory=list)  # the 20-case inspections
    letters: list[str] = field(default_factory=list)  # published letter ids
    import_target: str = ""
    import_csv: bytes = b""


def _inspection(session: Session, establishment: str, start: date) -> Inspection:
    inspection = inspections.create(
        session,
        DEMO_ACTOR,
        InspectionCreate(
            programme="pomi",
            establishment=establishment,
            fieldwork_start=start,
            fieldwork_end=start + timedelta(days=4),
            recommendations=["Sentence plans should set outcome-focused objectives."],
        ),
    )
    inspections.transition(session, DEMO_ACTOR, inspection, InspectionStatus.fieldwork)
    return inspection


def _add_cases(session: Session, inspection: Inspection, seed: int) -> None:
    index = cases.framework_index(session, inspection)
    rng = random.Random(seed)
    for number in range(1, 21):
        cases.create(session, DEMO_ACTOR, inspection, demo_case(rng, number, index))


def import_csv(session: Session, inspection: Inspection, rows: int) -> bytes:
    """Demo-like cases in the import format of the inspection's framework."""
    framework = session.get(Framework, inspection.framework_id)
    assert framework is not None
    columns = frameworks.csv_columns(framework)
    index = cases.framework_index(session, inspection)
    rng = random.Random(rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    for number in range(1, rows + 1):
        case = demo_case(rng, number, index)
        values = {**case, **case.pop("answers")}
        writer.writerow([cell(values.get(name)) for name in columns])
    return buffer.getvalue().encode()


def seed(session: Session, import_rows: int) -> Fixture:
    load_demo(session)
    fixture = Fixture()
    durham = session.exec(select(Inspection).where(Inspection.establishment_code == "durham")).one()
    scored = [durham]
    for number, establishment in enumerate(EXTRA_ESTABLISHMENTS, start=1):
        inspection = _inspection(session, establishment, date(2011, 9 + number, 3))
        _add_cases(session, inspection, 2011 + number)
        scored.append(inspection)
    for inspection in scored:
        for letter in letters.generate(session, DEMO_ACTOR, inspection):
            letters.publish(session, DEMO_ACTOR, letter)
            fixture.letters.append(letter.id)
    fixture.scored = [inspection.id for inspection in scored]
    target = _inspection(session, IMPORT_ESTABLISHMENT, date(2012, 1, 9))
    fixture.import_target = target.id
    fixture.import_csv = import_csv(session, target, import_rows)
    return fixture
