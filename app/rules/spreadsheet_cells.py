"""CSV cells a spreadsheet would run as formulas: neutralised on export, restored on import."""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """Text that a spreadsheet would run as a formula, prefixed with a quote so it stays text."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def restored(cell: str) -> str:
    """The text an export neutralised, so an export imports back unchanged."""
    if cell[:1] == "'" and cell[1:2] and cell[1] in FORMULA_STARTS:
        return cell[1:]
    return cell
