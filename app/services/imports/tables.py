"""Files of rows under a header: CSV, and the first worksheet of an .xlsx workbook.

Both give the header and the data rows numbered from 1 (blank rows skipped) as lists of
text cells, so the case and survey checks read either the same way. A workbook also names
the cell of a fault ("Sheet1!C5").

An .xlsx file is a zip archive, and a hostile one can be small on the wire and enormous
once inflated. The archive's directory is checked before anything is inflated: the number
of parts, each part's inflated size (the zip reader never inflates a part past the size
the directory declares) and its compression ratio, and the parts read whole (shared
strings, styles, the workbook) are held to a few megabytes. Each XML part then gets one
pass of a bare expat parser that keeps nothing: no entity declarations, and no more rows
(or other elements, which the row reader would keep to the sheet's end) than the limits.
Only then is the worksheet streamed row by row (openpyxl read-only mode, with
defusedxml's parser). Rows past the sheet's limits are a fault, never a loop.
"""

from __future__ import annotations

import io
import re
import tempfile
import zipfile
from array import array
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import IO, Any, Protocol
from xml.parsers import expat

from app.rules.spreadsheet_cells import restored
from app.services.imports.readers import CsvFile, Format, UnreadableFile, Upload, text_of

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_PARTS = 2000
MAX_INFLATED_TOTAL = 1024**3  # every part together, inflated
MAX_WHOLE_PART = 16 * 1024**2  # a part openpyxl reads whole (shared strings, styles)
MAX_RATIO = 200  # inflated / compressed, for parts past a megabyte
RATIO_FLOOR = 1024**2
MAX_SHEET_ROWS = 1_048_576  # the format's own limits
MAX_SHEET_COLUMNS = 16_384
# The XML parser keeps every element of a worksheet that is not inside a row (and each
# row, emptied) until the sheet ends, and the parts read whole are trees: a part may hold
# at most this many elements besides its rows' cells (some 70 MB of elements at worst).
MAX_OTHER_ELEMENTS = 1_000_000
MAX_ROW_ELEMENTS = 4 * MAX_SHEET_COLUMNS  # a row's cells and their values, formulas, runs
READ_SIZE = 64 * 1024
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROW_TAG, SHEET_DATA_TAG = f"{SHEET_NS}}}row", f"{SHEET_NS}}}sheetData"
PLAIN_TITLE = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")


class TableFile(Protocol):
    header: list[str]

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """Data rows numbered from 1, blank ones skipped."""
        ...

    def locate(self, row: int, column: str | None) -> str | None:
        """The cell of a fault (row 0 is the header), where the format has cells."""
        ...


class CsvTable:
    def __init__(self, upload: Upload) -> None:
        self._file = CsvFile(text_of(upload.file_chunks()))
        self.header = self._file.header

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        return self._file.rows()

    def locate(self, row: int, column: str | None) -> str | None:
        return None


def table_of(upload: Upload) -> TableFile:
    """The upload as a header and rows: CSV, or the first sheet of an .xlsx workbook."""
    if upload.format is Format.xlsx:
        return XlsxTable(upload)
    return CsvTable(upload)


def column_letter(number: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def cell_text(value: Any) -> str:
    """A cell's value as the text a CSV export of the sheet would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    return restored(str(value))


def _unreadable(row: int, why: str) -> UnreadableFile:
    return UnreadableFile(row, "invalid_xlsx", f"cannot read the spreadsheet: {why}")


def _check_archive(archive: zipfile.ZipFile) -> None:
    """Refuse an archive that would inflate past the limits, before inflating any of it."""
    parts = archive.infolist()
    if len(parts) > MAX_PARTS:
        raise _unreadable(0, f"it has more than {MAX_PARTS} parts")
    total = 0
    for part in parts:
        total += part.file_size
        is_sheet = part.filename.startswith("xl/worksheets/")
        if not is_sheet and part.file_size > MAX_WHOLE_PART:
            raise _unreadable(0, f"its part {part.filename!r} is too large")
        if part.file_size > RATIO_FLOOR and part.file_size > MAX_RATIO * max(part.compress_size, 1):
            raise _unreadable(0, f"its part {part.filename!r} inflates too far")
    if total > MAX_INFLATED_TOTAL:
        raise _unreadable(0, "it inflates too far")
    # Every XML part, not only those under xl/worksheets/: the workbook's relationships,
    # not the part's name, say which parts are worksheets.
    for part in parts:
        if part.filename.endswith((".xml", ".rels")):
            with archive.open(part) as source:
                _check_sheet_xml(source, part.filename)


def _check_sheet_xml(source: IO[bytes], name: str) -> None:
    """One pass of a bare expat parser over an XML part, keeping nothing: no entity
    declarations, and no more rows (or other kept elements) than the limits allow."""
    parser = expat.ParserCreate(namespace_separator="}")
    outside: list[str] = []  # the open elements that are not inside a row
    in_row = 0  # open elements inside the current row, the row included
    in_this_row = 0  # elements the current row has held
    rows = other = 0

    def start(tag: str, attributes: dict[str, str]) -> None:
        nonlocal in_row, in_this_row, rows, other
        if in_row:  # a cell or its value: the reader keeps these only until the row ends
            in_row += 1
            in_this_row += 1
            if in_this_row > MAX_ROW_ELEMENTS:
                raise _unreadable(0, f"row {rows} of {name!r} holds too many cells")
            return
        if tag == ROW_TAG and outside and outside[-1] == SHEET_DATA_TAG:
            rows += 1
            in_row, in_this_row = 1, 0
            number = attributes.get("r", "")
            if rows > MAX_SHEET_ROWS or (number.isdigit() and int(number) > MAX_SHEET_ROWS):
                raise _unreadable(0, f"it has more than {MAX_SHEET_ROWS} rows")
            return
        other += 1
        if other > MAX_OTHER_ELEMENTS:
            raise _unreadable(0, f"its part {name!r} holds too many elements")
        outside.append(tag)

    def end(_tag: str) -> None:
        nonlocal in_row
        if in_row:
            in_row -= 1
        else:
            outside.pop()

    def refuse(*_args: Any) -> None:
        raise _unreadable(0, "it declares XML entities")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.EntityDeclHandler = refuse
    parser.StartDoctypeDeclHandler = refuse
    try:
        while chunk := source.read(READ_SIZE):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _unreadable(0, f"its part {name!r} is not well-formed XML") from exc


class XlsxTable:
    """The first worksheet of a workbook; the file is parked on disk while it is read."""

    def __init__(self, upload: Upload) -> None:
        import openpyxl  # imported here: only a spreadsheet upload needs it

        # Closed by close(), when the rows have been read or reading failed.
        self._spooled: IO[bytes] = tempfile.TemporaryFile(prefix="omi-import-")  # noqa: SIM115
        try:
            for chunk in upload.file_chunks():
                self._spooled.write(chunk)
            if not self._spooled.tell():
                raise UnreadableFile(
                    0, "empty_file", "the file is empty: send a header row and data rows"
                )
            self._spooled.seek(0)
            try:
                with zipfile.ZipFile(self._spooled) as archive:
                    _check_archive(archive)
                self._spooled.seek(0)
                self._book = openpyxl.load_workbook(
                    self._spooled, read_only=True, data_only=True, keep_links=False
                )
            except UnreadableFile:
                raise
            except Exception as exc:  # a damaged or foreign file fails in many ways
                raise _unreadable(0, "it is damaged, or not an .xlsx workbook") from exc
            if not self._book.worksheets:
                raise _unreadable(0, "it has no worksheet")
            self._sheet = self._book.worksheets[0]
            self._sheet.reset_dimensions()  # a declared size is not trusted, only cells
            self.title = self._sheet.title
            self._rows = self._sheet_rows()
            self.header = self._read_header()
        except BaseException:
            self.close()
            raise
        self._columns = {name: at for at, name in reversed(list(enumerate(self.header)))}
        self._sheet_row_of = array("L", [1])  # data row -> sheet row; 0 is the header

    def close(self) -> None:
        book = getattr(self, "_book", None)
        if book is not None:
            book.close()
        self._spooled.close()

    def _sheet_rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """(sheet row, values) of every row that has a cell, up to the format's limits."""
        sheet_row = 0
        try:
            for values in self._sheet.iter_rows(max_row=MAX_SHEET_ROWS + 1, values_only=True):
                sheet_row += 1
                if sheet_row > MAX_SHEET_ROWS:
                    raise _unreadable(0, f"it has more than {MAX_SHEET_ROWS} rows")
                if len(values) > MAX_SHEET_COLUMNS:
                    raise _unreadable(
                        0, f"row {sheet_row} has more than {MAX_SHEET_COLUMNS} columns"
                    )
                yield sheet_row, values
        except UnreadableFile:
            raise
        except Exception as exc:
            raise _unreadable(0, f"row {sheet_row + 1} is damaged") from exc

    def _read_header(self) -> list[str]:
        first = next(self._rows, None)
        if first is None or first[0] != 1 or not any(v is not None for v in first[1]):
            raise UnreadableFile(
                0,
                "empty_file",
                f"the sheet {self.title!r} has no header in row 1: the first row names the columns",
            )
        header = [cell_text(value) for value in first[1]]
        while header and not header[-1]:
            header.pop()
        return header

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        width = len(self.header)
        row = 0
        try:
            for sheet_row, values in self._rows:
                cells = [cell_text(value) for value in values]
                if not any(cells):
                    continue
                row += 1
                self._sheet_row_of.append(sheet_row)
                while len(cells) > width and not cells[-1]:
                    cells.pop()
                cells += [""] * (width - len(cells))
                yield row, cells
        finally:
            self.close()

    def locate(self, row: int, column: str | None) -> str | None:
        sheet_row = self._sheet_row_of[row] if row < len(self._sheet_row_of) else None
        if sheet_row is None:
            return None
        at = self._columns.get(column) if column is not None else None
        if at is None:
            return f"{self._sheet_name}!{sheet_row}:{sheet_row}"
        return f"{self._sheet_name}!{column_letter(at + 1)}{sheet_row}"

    @property
    def _sheet_name(self) -> str:
        """The title as a reference writes it: quoted unless it is a plain word."""
        if PLAIN_TITLE.fullmatch(self.title):
            return self.title
        return "'" + self.title.replace("'", "''") + "'"


def xlsx_bytes(book: Any) -> bytes:
    """A workbook written to bytes."""
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
