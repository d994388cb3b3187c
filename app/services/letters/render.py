"""A findings letter as a standalone HTML page and as a tagged PDF, from its typed document
(`app.services.letters.document.letter_document`). `render_pdf` is the one entry point for
a letter's PDF."""

from __future__ import annotations

from app.services.documents.engine import revision as render_revision
from app.services.documents.render import render_html, render_pdf

__all__ = ["render_html", "render_pdf", "render_revision"]
