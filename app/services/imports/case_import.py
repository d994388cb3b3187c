"""Bulk import of an inspection's cases from CSV, xlsx or NDJSON, checked by the case rules.

mode=create adds new cases only. mode=upsert merges (SPEC 16): for a case_ref the
inspection has, only the columns (or NDJSON keys) the file carries are written, an empty
cell clears its field, and the case's changed fields before and after go to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.models import Inspection, new_id, utcnow
from app.models.case import CASE_ATTRIBUTES
from app.models.framework import Subject
from app.models.imports import ImportKind, ImportMode
from app.models.review import ReviewStatus
from app.rules.case_rules import CASE_REF, REQUIRED, CheckedCase, check_case
from app.services.audit import service as audit
from app.services.cases import tally as answer_tally
from app.services.cases.service import framework_index, trust_codes
from app.services.imports import writer as import_writer
from app.services.imports.bulk import MAX_CHANGES, Counts, FaultLog, header_faults, row_fits
from app.services.imports.readers import Format, Upload, read_ndjson, text_of
from app.services.imports.spool import Spool
from app.services.imports.tables import TableFile, table_of
from app.services.imports.writer import ANSWERS, CASES, CaseChange, CaseRecord
from app.services.inspections.service import ensure_writable

LOOKUP_BATCH = 1000
WRITE_BATCH = 2000
# Derived or server-set fields of a case as the cases endpoint returns it: accepted in
# NDJSON so a listing can be fed back in, and ignored.
READ_ONLY_FIELDS = frozenset(
    {
        "id",
        "inspection",
        "in_scope",
        "scope_reasons",
        "national_standards",
        "created_at",
        "updated_at",
        "review_status",
        "submitted_by",
    }
)
# Attributes the table cannot hold as null take the defaults the cases endpoint gives them.
DEFAULTS = {"mappa_level": 0, "ppo": False}
# What a row read from the file carries: its number, the raw case, and the required
# columns whose absence the header already reported (not repeated on every row).
RawRow = tuple[int, Mapping[str, Any], frozenset[str]]


class Stored:
    """An existing case as the check pass read it: what a merge starts from."""

    def __init__(self, case: Mapping[str, Any], answers: dict[str, str]) -> None:
        self.id, self.revision = case["id"], case["revision"]
        self.in_scope, self.review_status = case["in_scope"], case["review_status"]
        self.attributes = {name: case[name] for name in CASE_ATTRIBUTES if name in case}
        self.answers = answers


class CaseImporter:
    """Checks case rows into the spool, then writes them as new or replaced cases."""

    kind = ImportKind.cases

    def __init__(self, session: Session, inspection: Inspection, mode: ImportMode) -> None:
        self.session = session
        self.inspection = inspection
        self.mode = mode
        self.index = framework_index(session, inspection)
        self.trusts = trust_codes(session, inspection)
        self.questions = self.index.question_codes(Subject.case)
        self.position = {code: number for number, code in enumerate(self.questions)}
        self.counts = Counts()
        self._pending: list[RawRow] = []

    # ---- pass one: check ----------------------------------------------------------------

    def check(self, upload: Upload, faults: FaultLog, spool: Spool) -> None:
        for raw_row in self._rows(upload, faults):
            self.counts.rows += 1
            self._pending.append(raw_row)
            if len(self._pending) >= LOOKUP_BATCH:
                self._settle(faults, spool)
        self._settle(faults, spool)
        for row, ref, first in spool.duplicates():
            faults.add(
                row, "case_ref", "duplicate_in_file", f"case_ref {ref!r} is also in row {first}"
            )

    def _rows(self, upload: Upload, faults: FaultLog) -> Iterator[RawRow]:
        if upload.format is Format.ndjson:
            return self._ndjson_rows(text_of(upload.file_chunks()), faults)
        return self._table_rows(table_of(upload), faults)

    def _table_rows(self, file: TableFile, faults: FaultLog) -> Iterator[RawRow]:
        faults.locator = file.locate
        header = file.header
        # A merge may leave out any column but the key: absent columns keep their values.
        required = REQUIRED if self.mode is ImportMode.create else ("case_ref",)
        missing = frozenset(
            header_faults(header, [*CASE_ATTRIBUTES, *self.questions], required, faults)
        )
        attributes = [(name, at) for at, name in enumerate(header) if name in CASE_ATTRIBUTES]
        answers = [(name, at) for at, name in enumerate(header) if name in self.position]
        # On create an empty cell is an unanswered question, and leaving it out spares the
        # rules a look; on upsert it clears the stored answer, so it is kept.
        keep_empty = self.mode is ImportMode.upsert
        for row, cells in file.rows():
            if not row_fits(row, cells, header, faults):
                self.counts.rows += 1
            else:
                raw: dict[str, Any] = {name: cells[at] for name, at in attributes}
                raw["answers"] = {
                    name: cells[at] for name, at in answers if cells[at] or keep_empty
                }
                yield row, raw, missing

    def _ndjson_rows(self, text: Any, faults: FaultLog) -> Iterator[RawRow]:
        for line in read_ndjson(text):
            if line.error is not None or not isinstance(line.value, dict):
                faults.add(
                    line.row,
                    None,
                    line.code or "invalid_row",
                    line.error or "each line must be a JSON object",
                )
                self.counts.rows += 1
                continue
            for name in line.value:
                if (
                    name not in CASE_ATTRIBUTES
                    and name != "answers"
                    and name not in READ_ONLY_FIELDS
                ):
                    faults.add(line.row, name, "unknown_column", f"unknown field {name!r}")
            yield line.row, line.value, frozenset()

    def _settle(self, faults: FaultLog, spool: Spool) -> None:
        """Check the batch (merged with the cases it names, on upsert) and report its faults
        in row order."""
        stored = self._stored([_raw_ref(raw) for _, raw, _ in self._pending])
        for row, raw, excused in self._pending:
            ref = _raw_ref(raw)
            known = stored.get(ref) if ref is not None else None
            merge = known is not None and self.mode is ImportMode.upsert
            checked = (
                check_case(raw, self.index, self.trusts, known.attributes, known.answers)
                if merge and known is not None
                else check_case(raw, self.index, self.trusts)
            )
            for fault in checked.faults:
                if not (fault.code == "required" and fault.field in excused):
                    faults.add(row, fault.field, fault.code, fault.message)
            ref = _valid_ref(checked)
            known = stored.get(ref) if ref is not None else None
            if known is not None and self.mode is ImportMode.create:
                faults.add(
                    row,
                    "case_ref",
                    "duplicate_case_ref",
                    f"case_ref {ref!r} is already in this inspection; use mode=upsert to update it",
                )
            # Once the file is known to be invalid nothing will be written: keep only the key.
            record = None if faults.count else self._record(row, checked, known)
            spool.add(row, ref, record)
        self._pending.clear()

    def _stored(self, refs: list[str | None]) -> dict[str, Stored]:
        """The inspection's cases with these refs (with their answers, on upsert)."""
        wanted = sorted({ref for ref in refs if ref is not None})
        if not wanted:
            return {}
        upsert = self.mode is ImportMode.upsert
        columns = [CASES.c.id, CASES.c.revision, CASES.c.in_scope, CASES.c.review_status]
        columns += [CASES.c[name] for name in CASE_ATTRIBUTES] if upsert else [CASES.c.case_ref]
        connection = self.session.connection()
        cases = connection.execute(
            select(*columns).where(
                CASES.c.inspection_id == self.inspection.id, CASES.c.case_ref.in_(wanted)
            )
        ).all()
        answers: dict[str, dict[str, str]] = {case.id: {} for case in cases}
        if upsert and cases:
            for case_id, code, value in connection.execute(
                select(ANSWERS.c.case_id, ANSWERS.c.question_code, ANSWERS.c.value).where(
                    ANSWERS.c.case_id.in_(list(answers))
                )
            ).all():
                answers[case_id][code] = value
        return {case.case_ref: Stored(case._asdict(), answers[case.id]) for case in cases}

    def _record(self, row: int, checked: CheckedCase, known: Stored | None) -> CaseRecord | None:
        """The case to write, or None when the row would change nothing."""
        attributes = {
            name: DEFAULTS.get(name) if checked.attributes.get(name) is None else value
            for name in CASE_ATTRIBUTES
            for value in (checked.attributes.get(name),)
        }
        change = None
        if known is not None:
            change = _change(known, attributes, checked)
            if change is None:
                self.counts.unchanged += 1
                return None
            self.counts.updated += 1
            if len(self.counts.changes) < MAX_CHANGES:
                self.counts.changes.append(
                    {
                        "row": row,
                        "case_ref": attributes["case_ref"],
                        "case": known.id,
                        **change.as_dict(),
                    }
                )
        else:
            self.counts.created += 1
        return CaseRecord(
            case_id=known.id if known is not None else new_id(),
            is_new=known is None,
            attributes=tuple(attributes[name] for name in CASE_ATTRIBUTES),
            in_scope=checked.in_scope,
            answers=tuple(
                (self.position[code], value, sufficient)
                for code, (value, sufficient) in checked.answers.items()
            ),
            revision=known.revision if known is not None else None,
            change=change,
        )

    # ---- pass two: write ----------------------------------------------------------------

    def write(self, spool: Spool, actor: str) -> None:
        """New and replaced cases arrive submitted by the uploader (SPEC 14)."""
        answer_tally.lock_for_case_writes(self.session, self.inspection)
        # A transition may have published the inspection while the file was checked.
        ensure_writable(self.inspection)
        connection = self.session.connection()
        now = utcnow().replace(tzinfo=None)
        for batch in spool.batches(WRITE_BATCH):
            import_writer.write_case_batch(
                connection, self.inspection.id, batch, self.questions, now, actor
            )
            changed = [record for record in batch if record.change is not None]
            audit.record_many(
                self.session,
                actor,
                "case.updated",
                "case",
                [
                    (record.case_id, record.change.before, record.change.after)
                    for record in changed
                    if record.change is not None
                ],
            )
        answer_tally.refresh(self.session, self.inspection.id)


def _change(known: Stored, attributes: dict[str, Any], checked: CheckedCase) -> CaseChange | None:
    """The fields a merge changes, before and after (answers as whole objects, as the
    cases endpoint audits them); None when it changes nothing."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in CASE_ATTRIBUTES:
        if known.attributes[name] != attributes[name]:
            before[name], after[name] = known.attributes[name], attributes[name]
    answers = {code: value for code, (value, _) in checked.answers.items()}
    if answers != known.answers:
        before["answers"], after["answers"] = (
            dict(sorted(known.answers.items())),
            dict(sorted(answers.items())),
        )
    if not before:
        return None
    if known.in_scope != checked.in_scope:
        before["in_scope"], after["in_scope"] = known.in_scope, checked.in_scope
    if known.review_status != ReviewStatus.submitted.value:
        # A changed case arrives submitted by the uploader (SPEC 14).
        before["review_status"] = known.review_status
        after["review_status"] = ReviewStatus.submitted.value
    return CaseChange(before=before, after=after)


def _raw_ref(raw: Mapping[str, Any]) -> str | None:
    """The row's case_ref if it is one a case can have: only those are looked up (a NUL
    byte or other junk never reaches the database; the row's check reports it)."""
    ref = raw.get("case_ref")
    if not isinstance(ref, str):
        return None
    ref = ref.strip()
    return ref if CASE_REF.match(ref) else None


def _valid_ref(checked: CheckedCase) -> str | None:
    ref = checked.attributes.get("case_ref")
    if ref is None or any(fault.field == "case_ref" for fault in checked.faults):
        return None
    return str(ref)
