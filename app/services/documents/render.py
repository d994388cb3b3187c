"""A typed document as a standalone HTML page or a tagged PDF, from one Typst template.

Both come from `app/templates/document.typ`, so they carry the same words and figures.
"""

from __future__ import annotations

from app.models.documents import Document
from app.services.documents.engine import compile_document

TEMPLATE = "document.typ"


def render_html(document: Document) -> str:
    """A standalone, printable HTML page (no external resources) of the document."""
    return compile_document(TEMPLATE, document, "html").decode()


def render_pdf(document: Document) -> bytes:
    """The document as an A4 PDF/UA-1 file: tagged, with its fonts embedded."""
    return compile_document(TEMPLATE, document, "pdf")
