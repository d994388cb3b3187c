"""The import template as an .xlsx workbook: the CSV template's header, with drop-down lists.

The first sheet holds the header (so a filled-in template uploads as it is); every column
with a fixed set of values gets a data-validation list over the rows beneath, the lists
themselves kept on a hidden sheet (a list written into the rule is limited to 255
characters); a third sheet says how the import modes treat the columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from sqlmodel import Session

from app.models import Framework
from app.models.case import OsGrade, Rosh, SentenceType, Sex
from app.models.framework import Subject
from app.rules.case_rules import allowed_values
from app.services.cases.service import trust_codes
from app.services.frameworks import service as frameworks
from app.services.imports.tables import MAX_SHEET_ROWS, column_letter, xlsx_bytes

LISTS_SHEET = "allowed values"
READ_ME_SHEET = "read me"
ENUMS: dict[str, type[StrEnum]] = {
    "sex": Sex,
    "sentence_type": SentenceType,
    "rosh": Rosh,
    "os_grade": OsGrade,
}
FIXED = {"mappa_level": ["0", "1", "2", "3"], "ppo": ["true", "false"]}
READ_ME = (
    "How this template is read",
    "",
    "Fill in the first sheet, one row per {noun}, and upload the workbook as it is "
    "(omi upload FILE.xlsx, or POST it as "
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet).",
    "Row 1 is the header: keep the names exactly as they are. Columns with a fixed set of "
    "values offer it as a drop-down list. Dates are YYYY-MM-DD. An empty answer cell is "
    "an unanswered question.",
    "",
    "mode=create (the default): every row is a new case; a case_ref the inspection "
    "already has is an error.",
    "mode=upsert: a known case_ref is merged. Only the columns in the file are written: "
    "delete the columns you do not mean to change and they keep their stored values. An "
    "empty cell in a column you keep CLEARS that field or answer. Every changed case's "
    "values before and after are kept in the audit log.",
    "Use dry_run=true (omi upload --dry-run) to see what a file would change first.",
)


def _allowed(
    session: Session, framework: Framework, columns: Sequence[str]
) -> dict[str, list[str]]:
    index = frameworks.index_of(framework)
    lists: dict[str, list[str]] = {}
    for name in columns:
        if name in ENUMS:
            lists[name] = [item.value for item in ENUMS[name]]
        elif name in FIXED:
            lists[name] = FIXED[name]
        elif name == "home_trust":
            lists[name] = sorted(trust_codes(session).spans)
        elif name in index.questions:
            lists[name] = list(allowed_values(index.questions[name]))
    return lists


def xlsx_template(session: Session, framework: Framework, subject: Subject) -> bytes:
    """The template workbook for the framework's case (or respondent) import."""
    columns = frameworks.csv_columns(framework, subject)
    lists = _allowed(session, framework, columns)
    book = Workbook()
    sheet = book.active
    assert sheet is not None  # a new workbook has its one sheet
    sheet.title = "cases" if subject is Subject.case else "respondents"
    sheet.append(columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    values = book.create_sheet(LISTS_SHEET)
    values.sheet_state = "hidden"
    lists_written = 0
    for at, name in enumerate(columns, start=1):
        sheet.column_dimensions[column_letter(at)].width = max(12, len(name) + 2)
        allowed = lists.get(name)
        if not allowed:
            continue
        lists_written += 1
        list_column = column_letter(lists_written)
        values[f"{list_column}1"] = name
        for row, value in enumerate(allowed, start=2):
            values[f"{list_column}{row}"] = value
        rule = DataValidation(
            type="list",
            formula1=f"='{LISTS_SHEET}'!${list_column}$2:${list_column}${len(allowed) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=f"{name}: not an allowed value",
            error=f"{name} must be one of the listed values (or left empty)",
        )
        rule.add(f"{column_letter(at)}2:{column_letter(at)}{MAX_SHEET_ROWS}")
        sheet.add_data_validation(rule)
    notes = book.create_sheet(READ_ME_SHEET)
    noun = "case" if subject is Subject.case else "respondent"
    for line in READ_ME:
        notes.append([line.format(noun=noun)])
    notes.column_dimensions["A"].width = 120
    return xlsx_bytes(book)
