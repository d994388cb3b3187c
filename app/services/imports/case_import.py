"""Bulk import of an inspection's cases from CSV or NDJSON, checked by the case rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlmodel import Session, col, select

from app.models import Case, Inspection, new_id, utcnow
from app.models.case import CASE_ATTRIBUTES
from app.models.framework import Subject
from app.models.imports import ImportKind, ImportMode
from app.rules.case_rules import REQUIRED, CheckedCase, check_case
from app.services.cases import tally as answer_tally
from app.services.cases.service import framework_index, trust_codes
from app.services.imports import writer as import_writer
from app.services.imports.bulk import Counts, FaultLog, header_faults, row_fits
from app.services.imports.readers import CsvFile, Format, Upload, read_ndjson, text_of
from app.services.imports.spool import Spool
from app.services.imports.writer import CaseRecord
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
        self._pending: list[tuple[int, CheckedCase, list[tuple[str | None, str, str]]]] = []

    # ---- pass one: check ----------------------------------------------------------------

    def check(self, upload: Upload, faults: FaultLog, spool: Spool) -> None:
        text = text_of(upload.file_chunks())
        rows = (
            self._csv_rows(CsvFile(text), faults)
            if upload.format is Format.csv
            else self._ndjson_rows(text, faults)
        )
        for row, raw, excused in rows:
            self.counts.rows += 1
            checked = check_case(raw, self.index, self.trusts)
            row_faults: list[tuple[str | None, str, str]] = [
                (fault.field, fault.code, fault.message)
                for fault in checked.faults
                if not (fault.code == "required" and fault.field in excused)
            ]
            self._pending.append((row, checked, row_faults))
            if len(self._pending) >= LOOKUP_BATCH:
                self._settle(faults, spool)
        self._settle(faults, spool)
        for row, ref, first in spool.duplicates():
            faults.add(
                row, "case_ref", "duplicate_in_file", f"case_ref {ref!r} is also in row {first}"
            )

    def _csv_rows(
        self, file: CsvFile, faults: FaultLog
    ) -> Iterator[tuple[int, dict[str, Any], frozenset[str]]]:
        header = file.header
        missing = frozenset(
            header_faults(header, [*CASE_ATTRIBUTES, *self.questions], REQUIRED, faults)
        )
        attributes = [(name, at) for at, name in enumerate(header) if name in CASE_ATTRIBUTES]
        answers = [(name, at) for at, name in enumerate(header) if name in self.position]
        for row, cells in file.rows():
            if not row_fits(row, cells, header, faults):
                self.counts.rows += 1
            else:
                raw: dict[str, Any] = {name: cells[at] for name, at in attributes}
                # Empty cells are unanswered questions; leaving them out spares the rules a look.
                raw["answers"] = {name: cells[at] for name, at in answers if cells[at]}
                yield row, raw, missing

    def _ndjson_rows(
        self, text: Any, faults: FaultLog
    ) -> Iterator[tuple[int, Mapping[str, Any], frozenset[str]]]:
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
        """Report the batch's faults in row order, with case_refs the inspection already has."""
        refs = [ref for _, checked, _ in self._pending if (ref := _valid_ref(checked)) is not None]
        existing = (
            dict(
                self.session.exec(
                    select(Case.case_ref, Case.id).where(
                        Case.inspection_id == self.inspection.id, col(Case.case_ref).in_(refs)
                    )
                ).all()
            )
            if refs
            else {}
        )
        for row, checked, row_faults in self._pending:
            for column, code, message in row_faults:
                faults.add(row, column, code, message)
            ref = _valid_ref(checked)
            case_id = existing.get(ref) if ref is not None else None
            if case_id is not None and self.mode is ImportMode.create:
                faults.add(
                    row,
                    "case_ref",
                    "duplicate_case_ref",
                    f"case_ref {ref!r} is already in this inspection; use mode=upsert to update it",
                )
            # Once the file is known to be invalid nothing will be written: keep only the key.
            record = None if faults.count else self._record(checked, case_id)
            spool.add(row, ref, record)
        self._pending.clear()

    def _record(self, checked: CheckedCase, case_id: str | None) -> CaseRecord:
        if case_id is None:
            self.counts.created += 1
        else:
            self.counts.updated += 1
        attributes = checked.attributes
        return CaseRecord(
            case_id=case_id or new_id(),
            is_new=case_id is None,
            attributes=tuple(
                DEFAULTS.get(name) if attributes.get(name) is None else attributes[name]
                for name in CASE_ATTRIBUTES
            ),
            in_scope=checked.in_scope,
            answers=tuple(
                (self.position[code], value, sufficient)
                for code, (value, sufficient) in checked.answers.items()
            ),
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
        answer_tally.refresh(self.session, self.inspection.id)


def _valid_ref(checked: CheckedCase) -> str | None:
    ref = checked.attributes.get("case_ref")
    if ref is None or any(fault.field == "case_ref" for fault in checked.faults):
        return None
    return str(ref)
