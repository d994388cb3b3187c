"""Bulk import of anonymous prisoner survey responses (CSV, xlsx, NDJSON): one row per respondent.

Respondents carry no key, so a survey import only ever creates responses.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlmodel import Session

from app.models import Inspection, new_id, utcnow
from app.models.framework import Subject
from app.models.imports import ImportKind
from app.rules.case_rules import check_answers
from app.services.cases.service import framework_index
from app.services.imports import writer as import_writer
from app.services.imports.bulk import Counts, FaultLog, header_faults, row_fits
from app.services.imports.readers import Format, Upload, read_ndjson, text_of
from app.services.imports.spool import Spool
from app.services.imports.tables import TableFile, table_of

WRITE_BATCH = 5000


class SurveyImporter:
    """Checks respondent rows (applies_if between questions included), then writes them."""

    kind = ImportKind.survey

    def __init__(self, session: Session, inspection: Inspection) -> None:
        self.session = session
        self.inspection = inspection
        self.index = framework_index(session, inspection)
        self.questions = self.index.question_codes(Subject.respondent)
        self.position = {code: number for number, code in enumerate(self.questions)}
        self.counts = Counts()

    def check(self, upload: Upload, faults: FaultLog, spool: Spool) -> None:
        rows = (
            self._ndjson_rows(text_of(upload.file_chunks()), faults)
            if upload.format is Format.ndjson
            else self._table_rows(table_of(upload), faults)
        )
        for row, raw in rows:
            self.counts.rows += 1
            answers, answer_faults = check_answers(raw, self.index, Subject.respondent, {})
            for fault in answer_faults:
                faults.add(row, fault.field, fault.code, fault.message)
            if not answers and not answer_faults:
                faults.add(row, None, "no_answers", "at least one question must be answered")
            if faults.count:
                spool.add(row, None, None)
                continue
            self.counts.created += 1
            record = tuple(
                (self.position[code], value, sufficient)
                for code, (value, sufficient) in answers.items()
            )
            spool.add(row, None, (new_id(), record))

    def _table_rows(
        self, file: TableFile, faults: FaultLog
    ) -> Iterator[tuple[int, dict[str, Any]]]:
        faults.locator = file.locate
        header = file.header
        header_faults(header, self.questions, (), faults)
        columns = [(name, at) for at, name in enumerate(header) if name in self.position]
        for row, cells in file.rows():
            if not row_fits(row, cells, header, faults):
                self.counts.rows += 1
            else:
                yield row, {name: cells[at] for name, at in columns if cells[at]}

    def _ndjson_rows(self, text: Any, faults: FaultLog) -> Iterator[tuple[int, Mapping[str, Any]]]:
        """Lines are {"answers": {...}} or a flat object of answers."""
        for line in read_ndjson(text):
            value = line.value
            if line.error is None and isinstance(value, dict) and "answers" in value:
                for name in value:
                    if name != "answers":
                        faults.add(line.row, name, "unknown_column", f"unknown field {name!r}")
                value = value["answers"]
            if line.error is not None or not isinstance(value, dict):
                faults.add(
                    line.row,
                    None,
                    line.code or "invalid_row",
                    line.error or "each line must be a JSON object of answers",
                )
                self.counts.rows += 1
                continue
            yield line.row, value

    def write(self, spool: Spool, actor: str) -> None:
        connection = self.session.connection()
        now = utcnow().replace(tzinfo=None)
        for batch in spool.batches(WRITE_BATCH):
            import_writer.write_survey_batch(
                connection, self.inspection.id, batch, self.questions, now
            )
