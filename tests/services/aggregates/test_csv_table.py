"""The aggregate CSV: a text cell that a spreadsheet would run as a formula is neutralised."""

import csv
import io

import pytest

from app.rules.spreadsheet_cells import neutralised, restored
from app.services.aggregates.csv_table import to_csv


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("HMP Durham", "HMP Durham"),
        # Unicode forms a spreadsheet also reads as formula starters (issue 19).
        ("\uff1d1+1", "'\uff1d1+1"),  # full-width equals
        ("\uff0bcmd", "'\uff0bcmd"),  # full-width plus
        ("\uff0d2", "'\uff0d2"),  # full-width hyphen-minus
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),  # full-width commercial at
        ("\ufe66cmd", "'\ufe66cmd"),  # small equals
        ("\ufe62cmd", "'\ufe62cmd"),  # small plus
        ("\u22121", "'\u22121"),  # minus sign
        ("\u2013cmd", "'\u2013cmd"),  # en dash
        ("  =1+1", "'  =1+1"),  # after leading spaces
        ("\u3000=1+1", "'\u3000=1+1"),  # after an ideographic space
        ("\ufeff=1+1", "'\ufeff=1+1"),  # after a byte-order mark
        ("\u200b@cmd", "'\u200b@cmd"),  # after a zero-width space
        ("\ncmd", "'\ncmd"),
        ("Durham = good", "Durham = good"),  # only the start matters
        ("\u00e9t\u00e9", "\u00e9t\u00e9"),
        ("", ""),
    ],
)
def test_neutralised(value: str, expected: str) -> None:
    assert neutralised(value) == expected
    assert restored(neutralised(value)) == value  # the importer reads back what was exported


def question(text: str) -> dict:
    return {
        "code": "q1",
        "text": text,
        "key": True,
        "yes": 1,
        "no": 1,
        "na": 0,
        "unanswered": 0,
        "relevant": 2,
        "percent": 50.0,
        "ci95": [9.5, 90.5],
        "low_base": True,
        "mean_of_inspections": 50.0,
        "inspections_scored": 1,
        "compare": {
            "yes": 2,
            "relevant": 2,
            "percent": 100.0,
            "difference": -50.0,
            "p_value": 0.1573,
        },
    }


def test_to_csv_neutralises_text_but_keeps_numbers() -> None:
    table = {
        "group_by": "establishment",
        "compare": {"from": None, "to": "2011-12-31"},
        "rows": [
            {
                "group": {"establishment": "=cmd"},
                "label": "@label",
                "inspections": 1,
                "cases": 2,
                "respondents": 0,
                "instruments": [
                    {"code": "case_file", "subject": "case", "questions": [question("=1+1")]}
                ],
            }
        ],
    }
    [record] = list(csv.DictReader(io.StringIO(to_csv(table))))
    assert (record["establishment"], record["label"], record["text"]) == (
        "'=cmd",
        "'@label",
        "'=1+1",
    )
    assert (record["difference"], record["p_value"], record["key"]) == ("-50.0", "0.1573", "true")


def test_to_csv_neutralises_a_full_width_formula() -> None:
    table = {
        "group_by": "establishment",
        "compare": {"from": None, "to": "2011-12-31"},
        "rows": [
            {
                "group": {"establishment": "\uff1dcmd|' /C calc'!A0"},
                "label": "\uff20label",
                "inspections": 1,
                "cases": 2,
                "respondents": 0,
                "instruments": [
                    {"code": "case_file", "subject": "case", "questions": [question("\uff0b1")]}
                ],
            }
        ],
    }
    [record] = list(csv.DictReader(io.StringIO(to_csv(table))))
    assert all(record[name].startswith("'") for name in ("establishment", "label", "text")), record
