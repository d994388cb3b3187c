"""Uploaded files read chunk by chunk: UTF-8 text, CSV and NDJSON (.xlsx: `tables`).

Nothing here holds a whole file: bytes are hashed as they pass, decoded incrementally
and split into records one at a time, so memory stays flat however large the upload.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from app.rules.spreadsheet_cells import restored

READ_SIZE = 64 * 1024


class Format(StrEnum):
    csv = "csv"
    ndjson = "ndjson"
    xlsx = "xlsx"


class UnreadableFile(Exception):
    """The file cannot be read past this point (encoding, quoting, multipart framing)."""

    def __init__(self, row: int, code: str, message: str) -> None:
        super().__init__(message)
        self.row, self.code, self.message = row, code, message


@dataclass(frozen=True)
class ImportFile:
    """A file to import as its bytes arrive, its format, and the media type it came as.

    `after` is what follows the file in its stream (the rest of a multipart form), read
    to its end once the file has been, so a fault there is found before anything is written.
    """

    format: Format
    chunks: Iterator[bytes]
    media_type: str
    after: Iterator[bytes] = field(default_factory=lambda: iter(()))


@dataclass
class Upload:
    """The file being read; checksum and size are complete once it has been read."""

    file: ImportFile
    digest: Any = field(default_factory=hashlib.sha256)
    size: int = 0

    @property
    def format(self) -> Format:
        return self.file.format

    @property
    def checksum(self) -> str:
        return str(self.digest.hexdigest())

    def file_chunks(self) -> Iterator[bytes]:
        for chunk in self.file.chunks:
            self.digest.update(chunk)
            self.size += len(chunk)
            yield chunk

    def finish(self) -> None:
        """Read what is left of the file and of what follows it."""
        for _ in self.file_chunks():
            pass
        for _ in self.file.after:
            pass


class _ChunkReader(io.RawIOBase):
    """A readable binary stream over an iterator of chunks."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def text_of(chunks: Iterator[bytes]) -> io.TextIOWrapper:
    """UTF-8 text (a leading byte order mark dropped), decoded as it is read.

    Bytes that are not UTF-8 are kept as surrogate escapes, so the fault can be reported
    on its own row and column rather than wherever the decoder's buffer happened to end.
    """
    raw = io.BufferedReader(_ChunkReader(chunks), READ_SIZE)
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")


def not_utf8(text: str) -> bool:
    """Whether text holds bytes that were not UTF-8 in the file."""
    if text.isascii():
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def printable(text: str) -> str:
    """Text safe to put in a response, undecodable bytes shown as U+FFFD."""
    return text.encode("utf-8", "replace").decode("utf-8") if not_utf8(text) else text


class CsvFile:
    """A CSV file's header and its data rows, numbered from 1; blank rows are skipped."""

    def __init__(self, text: io.TextIOWrapper) -> None:
        self._reader = csv.reader(text)
        self._row = 0
        header = self._next()
        if header is None:
            raise UnreadableFile(
                0, "empty_file", "the file is empty: send a header row and data rows"
            )
        self.header = header

    def _next(self) -> list[str] | None:
        try:
            return next(self._reader, None)
        except csv.Error as exc:
            raise UnreadableFile(self._row + 1, "invalid_csv", f"cannot read CSV: {exc}") from exc

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        while (cells := self._next()) is not None:
            if any(cells):
                self._row += 1
                yield self._row, [restored(cell) for cell in cells]


@dataclass(frozen=True)
class JsonLine:
    row: int
    value: Any
    code: str | None = None
    error: str | None = None


def read_ndjson(text: io.TextIOWrapper) -> Iterator[JsonLine]:
    """One JSON value per non-blank line, numbered from 1."""
    row = 0
    for line in text:
        if not line.strip():
            continue
        row += 1
        if not_utf8(line):
            yield JsonLine(row, None, "invalid_encoding", "the line is not UTF-8")
            continue
        try:
            yield JsonLine(row, json.loads(line))
        except (ValueError, RecursionError) as exc:  # deep nesting is malformed input too
            yield JsonLine(row, None, "invalid_row", f"not valid JSON: {exc}")
