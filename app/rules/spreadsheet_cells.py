"""CSV cells a spreadsheet would run as formulas: neutralised on export, restored on import."""

from __future__ import annotations

import unicodedata

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters spreadsheets read as one of the formula starters: the full-width and small
# forms fold to them under NFKC (U+FF1D to "="); these do not, and are named one by one.
LOOKALIKE_STARTS = frozenset(
    {
        "\u2212",  # minus sign
        "\u2010",  # hyphen
        "\u2011",  # non-breaking hyphen
        "\u2012",  # figure dash
        "\u2013",  # en dash
        "\u2014",  # em dash
        "\u2796",  # heavy minus sign
        "\u2795",  # heavy plus sign
        "\u229c",  # circled equals
        "\n",
    }
)


def _first_meaningful(text: str) -> str:
    """The first character a spreadsheet looks at: leading blanks, controls and invisible
    format characters (a byte-order mark, zero-width spaces) are skipped."""
    for char in text:
        if char.isspace() and char not in "\t\r\n":
            continue
        if unicodedata.category(char) in ("Cf", "Zs", "Zl", "Zp"):
            continue
        return char
    return ""


def starts_formula(text: str) -> bool:
    """Whether a spreadsheet could take this text for a formula."""
    if text.startswith(FORMULA_STARTS):
        return True
    first = _first_meaningful(text)
    if not first:
        return False
    return (
        first in FORMULA_STARTS
        or first in LOOKALIKE_STARTS
        or unicodedata.normalize("NFKC", first)[:1] in FORMULA_STARTS
    )


def neutralised(text: str) -> str:
    """Text that a spreadsheet would run as a formula, prefixed with a quote so it stays text."""
    return "'" + text if starts_formula(text) else text


def restored(cell: str) -> str:
    """The text an export neutralised, so an export imports back unchanged."""
    if cell[:1] == "'" and cell[1:2] and starts_formula(cell[1:]):
        return cell[1:]
    return cell
