"""One template, two outputs: a Typst template lays out a typed document as a tagged PDF
(PDF/UA-1) or as an HTML page, so the two carry the same words (docs/decisions.md).

The compiler and its fonts come with the `typst` package (Libertinus Serif, New Computer
Modern and DejaVu Sans Mono are built into it); system fonts are ignored, so a document
renders to the same bytes on every machine, offline.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from datetime import UTC, datetime
from functools import cache
from importlib import metadata as importlib_metadata
from importlib import resources
from typing import Any, Literal

import typst

from app.models.documents import Document

Target = Literal["pdf", "html"]

# Characters the bundled fonts draw (checked against the compiler's PDF/UA glyph check,
# which refuses a document with a character no font can show).
_DRAWN = (
    (0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x1E00, 0x1EFF),
    (0x2010, 0x205E), (0x20A0, 0x20C0), (0x2100, 0x214F), (0x2190, 0x22FF),
)  # fmt: skip
_NOT_DRAWN = frozenset("\u2041\u2043\u211f\u2121\u2123\u2125")
_SPACES = str.maketrans({"\t": " ", "\r": " ", "\u200b": "", "\ufeff": "", "\ufe0f": ""})
FALLBACK_DATE = datetime(2000, 1, 1, tzinfo=UTC)


def _drawn(char: str) -> bool:
    code = ord(char)
    return char not in _NOT_DRAWN and any(low <= code <= high for low, high in _DRAWN)


def printable(text: str) -> str:
    """Text the bundled fonts can draw: a character they lack becomes its unaccented base
    letter where it has one, otherwise '?'. HTML and PDF get the same text."""
    text = text.translate(_SPACES)
    if all(_drawn(char) or char == "\n" for char in text):
        return text
    kept = []
    for char in text:
        if _drawn(char) or char == "\n":
            kept.append(char)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if _drawn(c))
        kept.append(base or "?")
    return "".join(kept)


def _printable(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, list | tuple):
        return [_printable(item) for item in value]
    if isinstance(value, dict):
        return {key: value if key == "svg" else _printable(value) for key, value in value.items()}
    return value


@cache
def _template(name: str) -> bytes:
    return resources.files("app").joinpath("templates", name).read_bytes()


@cache
def revision(template: str = "document.typ") -> str:
    """What the bytes of a rendering depend on besides the document: the template and the
    compiler. Part of a rendering's ETag, so a new template is never served as unchanged."""
    compiler = importlib_metadata.version("typst")
    return hashlib.sha256(_template(template) + compiler.encode()).hexdigest()[:16]


def compile_document(template: str, document: Document, target: Target) -> bytes:
    """The document laid out by a Typst template (under app/templates) as PDF or HTML."""
    data = _printable(document.model_dump(mode="json"))
    created = document.created or FALLBACK_DATE
    inputs = {"document": json.dumps(data, ensure_ascii=False), "target": target}
    compiled = typst.compile(
        _template(template),
        format=target,
        ignore_system_fonts=True,
        sys_inputs=inputs,
        pdf_standards=["ua-1"] if target == "pdf" else [],
        # A fixed creation date keeps the bytes, and so the ETag, stable between renderings.
        timestamp=created.replace(microsecond=0),
    )
    assert isinstance(compiled, bytes)
    return compiled
