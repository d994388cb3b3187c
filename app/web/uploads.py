"""Request bodies as the services read them: the stream bridge, content types, multipart.

The services take plain inputs (bytes or chunks of them, and an enum naming the format),
which a command line or a worker could hand them as well; everything that knows about
headers, boundaries and the ASGI stream stays here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, TypeVar

import anyio.from_thread
from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from app.errors import BadRequest, UnsupportedMediaType
from app.models.framework import DocumentFormat
from app.models.sample import PopulationFormat
from app.services.imports.readers import Format, ImportFile, UnreadableFile
from app.services.imports.tables import XLSX_MEDIA_TYPE

CSV_TYPES = frozenset({"text/csv", "application/csv"})
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/ndjson", "application/jsonl"})
XLSX_TYPES = frozenset({XLSX_MEDIA_TYPE})
MULTIPART = "multipart/form-data"
UTF8_NAMES = frozenset({"utf-8", "utf8", "us-ascii"})

DOCUMENT_FORMATS = {
    "application/json": DocumentFormat.json,
    "": DocumentFormat.json,
    **dict.fromkeys(
        ("application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"), DocumentFormat.yaml
    ),
}
POPULATION_FORMATS = {"text/csv": PopulationFormat.csv, "application/json": PopulationFormat.json}

F = TypeVar("F")


def content_type(request: Request) -> str:
    return request.headers.get("content-type", "")


def _format(request: Request, formats: Mapping[str, F], refusal: str) -> F:
    media_type = content_type(request).split(";")[0].strip().lower()
    if media_type not in formats:
        raise UnsupportedMediaType(refusal)
    return formats[media_type]


def document_format(request: Request) -> DocumentFormat:
    """How an uploaded framework is written; 415 for anything but JSON or YAML."""
    return _format(
        request, DOCUMENT_FORMATS, "send the framework as application/json or application/yaml"
    )


def population_format(request: Request) -> PopulationFormat:
    """How an uploaded population is written; 415 for anything but CSV or JSON."""
    return _format(
        request, POPULATION_FORMATS, "send the population as text/csv or application/json"
    )


def utf8_text(body: bytes, refusal: str) -> str:
    """A whole body as text (a leading byte order mark dropped); 400 if it is not UTF-8."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(refusal) from exc


def import_media_type(header: str) -> str:
    """An import's media type; 415 for anything but CSV, NDJSON, xlsx or multipart, or text
    not in UTF-8."""
    value, params = parse_options_header(header)
    media_type = value.decode("latin-1").lower()
    charset = params.get(b"charset", b"utf-8").decode("latin-1").lower()
    if media_type not in CSV_TYPES | NDJSON_TYPES | XLSX_TYPES | {MULTIPART}:
        raise UnsupportedMediaType(
            "send text/csv, application/x-ndjson, an .xlsx workbook "
            f"({XLSX_MEDIA_TYPE}), or multipart/form-data with a 'file' field"
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


def import_file(media_type: str, header: str, body: Iterator[bytes]) -> ImportFile:
    """The file in the body: the body itself, or the `file` part of a multipart form."""
    if media_type != MULTIPART:
        file_format = (
            Format.csv
            if media_type in CSV_TYPES
            else Format.xlsx
            if media_type in XLSX_TYPES
            else Format.ndjson
        )
        return ImportFile(file_format, body, media_type)
    boundary = parse_options_header(header)[1].get(b"boundary")
    if not boundary:
        raise UnreadableFile(0, "invalid_multipart", "the multipart body has no boundary")
    return _multipart_file(boundary, body)


def _multipart_file(boundary: bytes, body: Iterator[bytes]) -> ImportFile:
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

    return ImportFile(_part_format(found[0]), file_bytes(), MULTIPART, rest())


def _part_format(headers: dict[bytes, bytes]) -> Format:
    media_type = parse_options_header(headers.get(b"content-type", b""))[0].decode().lower()
    filename = headers[b"filename"].decode("utf-8", "replace").lower()
    if media_type in NDJSON_TYPES or filename.endswith((".ndjson", ".jsonl")):
        return Format.ndjson
    if media_type in XLSX_TYPES or filename.endswith(".xlsx"):
        return Format.xlsx
    return Format.csv
