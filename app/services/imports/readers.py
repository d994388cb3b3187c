"""Uploaded files read chunk by chunk: the body bridge, multipart, UTF-8 text, CSV and NDJSON.

Nothing here holds a whole file: bytes are hashed as they pass, decoded incrementally
and split into records one at a time, so memory stays flat however large the upload.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import anyio.from_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from app.errors import UnsupportedMediaType
from app.rules.spreadsheet_cells import restored

CSV_TYPES = frozenset({"text/csv", "application/csv"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})
MULTIPART = "multipart/form-data"
UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii"})
READ_SIZE = 64 * 1024


class Format(StrEnum):
    csv = "csv"
    ndjson = "ndjson"


class UnreadableFile(Exception):
    """The file cannot be read past this point (encoding, quoting, multipart framing)."""

    def __init__(self, row: int, code: str, message: str) -> None:
        super().__init__(message)
        self.row, self.code, self.message = row, code, message


def media_type_of(content_type: str) -> str:
    """The request's media type; 415 for anything but CSV, NDJSON or multipart, or not UTF-8."""
    value, params = parse_options_header(content_type)
    media_type = value.decode("latin-1").lower()
    charset = params.get(b"charset", b"utf-8").decode("latin-1").lower()
    if media_type not in CSV_TYPES | NDJSON_TYPES | {MULTIPART}:
        raise UnsupportedMediaType(
            "send text/csv, application/x-ndjson, or multipart/form-data with a 'file' field"
        )
    if charset not in UTF8_NAMES:
        raise UnsupportedMediaType("send the file as UTF-8")
    return media_type


def chunks_from(stream: AsyncIterator[bytes]) -> Iterator[bytes]:
    """The body as a plain iterator, for code running in a worker thread.

    Each chunk is pulled on the event loop when the worker asks for it, so the body is
    never buffered here; a 413 or a client disconnect surfaces as an exception.
    """

    async def pull() -> bytes | None:
        try:
            return await stream.__anext__()
        except StopAsyncIteration:
            return None

    while (chunk := anyio.from_thread.run(pull)) is not None:
        if chunk:
            yield chunk


@dataclass
class Upload:
    """The uploaded file as chunks; checksum and size are complete once it has been read."""

    format: Format
    chunks: Iterator[bytes]
    rest: Iterator[bytes]
    digest: Any
    size: int = 0

    @property
    def checksum(self) -> str:
        return str(self.digest.hexdigest())

    def file_chunks(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            self.digest.update(chunk)
            self.size += len(chunk)
            yield chunk

    def finish(self) -> None:
        """Read what is left of the body (after a multipart file part) and of the file."""
        for _ in self.file_chunks():
            pass
        for _ in self.rest:
            pass


def open_upload(media_type: str, content_type: str, body: Iterator[bytes]) -> Upload:
    """The file in the body: the body itself, or the `file` part of a multipart form."""
    if media_type != MULTIPART:
        file_format = Format.csv if media_type in CSV_TYPES else Format.ndjson
        return Upload(file_format, body, iter(()), hashlib.sha256())
    boundary = parse_options_header(content_type)[1].get(b"boundary")
    if not boundary:
        raise UnreadableFile(0, "invalid_multipart", "the multipart body has no boundary")
    return _multipart_file(boundary, body)


def _multipart_file(boundary: bytes, body: Iterator[bytes]) -> Upload:
    """Feed the parser chunk by chunk and pass on only the bytes of the `file` part."""
    state: dict[str, Any] = {"headers": {}, "field": b"", "value": b"", "in_file": False}
    found: list[dict[bytes, bytes]] = []
    pending: list[bytes] = []
    finished = {"file": False}

    def on_part_begin() -> None:
        state["headers"] = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["field"].lower()] = state["value"]
        state["field"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        disposition = parse_options_header(state["headers"].get(b"content-disposition", b""))
        is_file = disposition[1].get(b"name") == b"file" and not found
        state["in_file"] = is_file
        if is_file:
            found.append({**state["headers"], b"filename": disposition[1].get(b"filename", b"")})

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["in_file"]:
            pending.append(data[start:end])

    def on_part_end() -> None:
        if state["in_file"]:
            finished["file"] = True
        state["in_file"] = False

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )

    def feed(chunk: bytes) -> None:
        try:
            parser.write(chunk)
        except MultipartParseError as exc:
            raise UnreadableFile(
                0, "invalid_multipart", f"the multipart body is malformed: {exc}"
            ) from exc

    for chunk in body:
        feed(chunk)
        if found:
            break
    else:
        raise UnreadableFile(0, "missing_file", "the multipart form has no 'file' field")

    def file_bytes() -> Iterator[bytes]:
        while True:
            while pending:
                yield pending.pop(0)
            if finished["file"]:
                return
            chunk = next(body, None)
            if chunk is None:
                raise UnreadableFile(0, "invalid_multipart", "the multipart body ends early")
            feed(chunk)

    def rest() -> Iterator[bytes]:
        for chunk in body:
            feed(chunk)
            pending.clear()
            yield b""

    headers = found[0]
    return Upload(_part_format(headers), file_bytes(), rest(), hashlib.sha256())


def _part_format(headers: dict[bytes, bytes]) -> Format:
    media_type = parse_options_header(headers.get(b"content-type", b""))[0].decode().lower()
    filename = headers[b"filename"].decode("utf-8", "replace").lower()
    if media_type in NDJSON_TYPES or filename.endswith((".ndjson", ".jsonl")):
        return Format.ndjson
    return Format.csv


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
