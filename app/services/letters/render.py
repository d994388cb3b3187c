"""Findings letters as a standalone printable HTML page and as a PDF, from the letter's dict.

Both renderings read one view built by `letter_view`, so they carry the same figures and
wording as each other and as the JSON they start from.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from jinja2 import Environment, PackageLoader, StrictUndefined

AUTHOR = "HM Inspectorate of Probation"
PARTNER = "with HM Inspectorate of Prisons"
NOT_APPLICABLE = "n/a"
STATUS_MARKERS = {"draft": "DRAFT", "superseded": "SUPERSEDED"}
QUESTION_HEADINGS = ("Question", "Trust yes/relevant", "Trust %", "Sample yes/relevant", "Sample %")

TEMPLATES = Environment(
    loader=PackageLoader("app", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def format_percent(value: float | None) -> str:
    return NOT_APPLICABLE if value is None else f"{value:.1f}%"


def parse_date(value: str | date | None) -> date | None:
    """A date from a date, a datetime or an ISO 8601 string (a trailing Z is allowed)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00")).date()


def format_date(value: str | date | None) -> str:
    day = parse_date(value)
    return "" if day is None else f"{day.day} {day:%B %Y}"


def fieldwork_period(start: str | date | None, end: str | date | None) -> str:
    """'from 12 to 16 September 2011', 'beginning 12 September 2011', ..."""
    first, last = parse_date(start), parse_date(end)
    if first is None:
        return "on dates to be confirmed"
    if last is None:
        return f"beginning {format_date(first)}"
    if last == first:
        return f"on {format_date(first)}"
    if (first.year, first.month) == (last.year, last.month):
        return f"from {first.day} to {format_date(last)}"
    if first.year == last.year:
        return f"from {first.day} {first:%B} to {format_date(last)}"
    return f"from {format_date(first)} to {format_date(last)}"


def _count(figures: dict[str, Any] | None) -> str:
    if not figures or figures.get("relevant") is None:
        return NOT_APPLICABLE
    return f"{figures.get('yes', 0)}/{figures['relevant']}"


def _percent(figures: dict[str, Any] | None) -> str:
    return format_percent((figures or {}).get("percent"))


def judgement_label(value: str | None) -> str:
    return value.replace("_", " ").capitalize() if value else "Not judged"


def _highlights(codes: list[str], questions: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    items = []
    for code in codes:
        question = questions.get(code, {"text": code})
        items.append(
            {
                "text": question["text"],
                "percent": _percent(question.get("trust")),
                "count": _count(question.get("trust")),
            }
        )
    return items


def area_title(area: dict[str, Any]) -> tuple[str, str]:
    """The letter's name for its area and whom it is addressed to, by the area's era (SPEC 12).
    Letters frozen before areas had a kind are to trusts."""
    name, kind = area["name"], area.get("kind", "trust")
    if kind == "noms_area":
        return f"{name} Probation Area", "The Chief Officer"
    if kind == "region":
        return f"Probation Service, {name} region", "The Regional Probation Director"
    title = name if name.lower().endswith("probation trust") else f"{name} Probation Trust"
    return title, "The Chief Executive"


def letter_view(letter: dict[str, Any]) -> dict[str, Any]:
    """The letter's wording and formatted figures, shared by the HTML and PDF renderings."""
    trust_title, addressee = area_title(letter["trust"])
    establishment = (letter.get("establishment") or {}).get("name")
    place = establishment or trust_title
    dates = letter.get("inspection_dates") or {}
    period = fieldwork_period(dates.get("fieldwork_start"), dates.get("fieldwork_end"))
    cases, sample = letter.get("case_count", 0), letter.get("sample_case_count")
    of_sample = f"Of the {sample} cases in the inspection sample, {cases}" if sample else f"{cases}"
    paragraphs = [
        f"HM Inspectorate of Probation and HM Inspectorate of Prisons jointly inspected offender "
        f"management at {place}, with fieldwork {period}.",
        f"{of_sample} were supervised by {trust_title}. This letter sets out the findings for "
        f"those {cases} cases beside the figures for the whole sample.",
    ]

    questions = {question["code"]: question for question in letter.get("questions", [])}
    themes = {
        theme["code"]: {
            "title": theme.get("title") or theme["code"],
            "trust_mean": format_percent((theme.get("trust") or {}).get("mean")),
            "sample_mean": format_percent((theme.get("sample") or {}).get("mean")),
            "questions": [],
        }
        for theme in letter.get("themes", [])
    }
    for question in questions.values():
        code = question.get("theme") or "other"
        title = "Other questions" if code == "other" else code.replace("-", " ").capitalize()
        group = themes.setdefault(
            code,
            {
                "title": title,
                "trust_mean": NOT_APPLICABLE,
                "sample_mean": NOT_APPLICABLE,
                "questions": [],
            },
        )
        group["questions"].append(
            (
                question["text"],
                _count(question.get("trust")),
                _percent(question.get("trust")),
                _count(question.get("sample")),
                _percent(question.get("sample")),
            )
        )

    signatory = letter.get("signatory") or {}
    status = letter.get("status", "draft")
    return {
        "title": f"Findings letter: {trust_title}",
        "marker": STATUS_MARKERS.get(status),
        "version": letter.get("version", 1),
        "date": format_date(
            letter.get("letter_date") or letter.get("published_at") or letter.get("updated_at")
        ),
        "addressee": [addressee, trust_title],
        "subject": f"Joint inspection of offender management: {place}, fieldwork {period}",
        "paragraphs": paragraphs,
        "themes": list(themes.values()),
        "strengths": _highlights(letter.get("strengths", []), questions),
        "improvements": _highlights(letter.get("improvements", []), questions),
        "recommendations": list(letter.get("recommendations", [])),
        "judgements": [
            (j["criterion"], judgement_label(j.get("judgement")), j.get("narrative") or "")
            for j in letter.get("judgements", [])
        ],
        "signatory": [signatory.get("name", ""), signatory.get("title", "")],
    }


def render_letter_html(letter: dict[str, Any]) -> str:
    """A standalone, printable HTML page for one findings letter."""
    view = letter_view(letter)
    return TEMPLATES.get_template("letter.html").render(
        view=view, author=AUTHOR, partner=PARTNER, question_headings=QUESTION_HEADINGS
    )


# Typographic characters that have a plain latin-1 spelling, for fpdf2's core fonts.
_LATIN1_SPELLINGS = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\u2026": "...", "\u2022": "\xb7", "\u2023": "\xb7",
        "\u2009": " ", "\u200a": " ", "\u2002": " ", "\u2003": " ", "\u202f": " ",
        "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\ufe0f": "",
        "\u20ac": "EUR", "\u2122": "(TM)", "\u0141": "L", "\u0142": "l", "\u0152": "OE", "\u0153": "oe",
    }
)  # fmt: skip


def to_latin1(text: str) -> str:
    """Text the PDF core fonts can draw: typographic marks spelt plainly, accents dropped
    where the letter has no latin-1 form, and anything else shown as '?'."""
    text = text.translate(_LATIN1_SPELLINGS)
    kept = []
    for char in text:
        if ord(char) < 256:
            kept.append(char)
            continue
        base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        kept.append(base or "?")
    return "".join(kept)


class LetterPDF(FPDF):
    """A4 pages with a status watermark, a page-numbered footer and plain tables."""

    headings_style = FontFace(emphasis="BOLD", fill_color=(225, 230, 238))

    def __init__(self, marker: str | None, footer_text: str) -> None:
        super().__init__(format="A4")
        self.marker = marker
        self.footer_text = footer_text
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=20)

    def normalize_text(self, text: str) -> str:
        return super().normalize_text(to_latin1(text))

    def header(self) -> None:
        if not self.marker:
            return
        self.set_font("Helvetica", "B", 80)
        self.set_text_color(225, 225, 225)
        with self.rotation(45, x=self.w / 2, y=self.h / 2):
            width = self.get_string_width(self.marker)
            self.text(self.w / 2 - width / 2, self.h / 2 + 10, self.marker)
        self.set_font("Helvetica", "B", 9)
        self.set_text_color(180, 0, 0)
        self.cell(
            0,
            5,
            f"{self.marker} - not for publication",
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font("Helvetica", size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 6, f"{self.footer_text} - page {self.page_no()} of {{nb}}", align="C")

    def line_of_text(self, text: str, size: float = 10, style: str = "", align: str = "L") -> None:
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, size * 0.5, text, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def heading(self, text: str) -> None:
        if self.will_page_break(30):
            self.add_page()
        self.ln(3)
        self.line_of_text(text, size=12, style="B")
        self.ln(1)

    def items(self, texts: list[str], numbered: bool = False) -> None:
        self.set_font("Helvetica", size=10)
        for number, text in enumerate(texts, start=1):
            label = f"{number}." if numbered else "\xb7"
            self.cell(7, 5, label)
            self.multi_cell(0, 5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(1)

    def grid(
        self,
        headings: tuple[str, ...],
        rows: Sequence[Sequence[str]],
        widths: tuple[int, ...],
        aligns: tuple[str, ...] | None = None,
    ) -> None:
        self.set_font("Helvetica", size=9)
        aligns = aligns or ("LEFT",) + ("CENTER",) * (len(headings) - 1)
        with self.table(
            col_widths=widths,
            text_align=aligns,
            headings_style=self.headings_style,
            line_height=4.5,
            padding=1,
        ) as table:
            for values in (headings, *rows):
                row = table.row()
                for value in values:
                    row.cell(value)
        self.ln(3)


def _creation_date(letter: dict[str, Any]) -> datetime | None:
    day = parse_date(
        letter.get("letter_date") or letter.get("published_at") or letter.get("updated_at")
    )
    return datetime.combine(day, time(9), tzinfo=UTC) if day else None


def render_letter_pdf(letter: dict[str, Any]) -> bytes:
    """The findings letter as an A4 PDF with the same figures as the HTML page."""
    view = letter_view(letter)
    pdf = LetterPDF(view["marker"], view["title"])
    pdf.set_title(to_latin1(view["title"]))
    pdf.set_author(AUTHOR)
    pdf.set_subject(to_latin1(view["subject"]))
    # A fixed creation date keeps the bytes, and so the ETag, stable between renderings.
    pdf.set_creation_date(_creation_date(letter) or datetime(2000, 1, 1, tzinfo=UTC))
    pdf.add_page()

    pdf.line_of_text(AUTHOR, size=18, style="B")
    pdf.line_of_text(PARTNER, size=11)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.w - pdf.r_margin, pdf.get_y() + 2)
    pdf.ln(6)
    pdf.line_of_text(view["date"], align="R")
    if view["marker"]:
        pdf.line_of_text(f"{view['marker']} - version {view['version']}", style="B", align="R")
    pdf.ln(3)
    for line in view["addressee"]:
        pdf.line_of_text(line)
    pdf.ln(5)
    pdf.line_of_text("Dear Chief Executive,")
    pdf.ln(3)
    pdf.line_of_text(view["subject"], style="B")
    pdf.ln(3)
    for paragraph in view["paragraphs"]:
        pdf.line_of_text(paragraph)
        pdf.ln(3)

    pdf.heading("Summary by theme")
    rows = [(theme["title"], theme["trust_mean"], theme["sample_mean"]) for theme in view["themes"]]
    pdf.grid(("Theme", "Trust mean", "Sample mean"), rows, (100, 35, 35))
    for theme in view["themes"]:
        if theme["questions"]:
            pdf.heading(theme["title"])
            pdf.grid(QUESTION_HEADINGS, theme["questions"], (82, 23, 18, 27, 20))

    for title, highlights in (
        ("Strengths", view["strengths"]),
        ("Areas for improvement", view["improvements"]),
    ):
        if highlights:
            pdf.heading(title)
            pdf.items(
                [f"{item['text']} - {item['percent']} ({item['count']})" for item in highlights]
            )
    if view["recommendations"]:
        pdf.heading("Recommendations")
        pdf.items(view["recommendations"], numbered=True)
    if view["judgements"]:
        pdf.heading("Judgements against the criteria")
        pdf.grid(
            ("Criterion", "Judgement", "Narrative"),
            view["judgements"],
            (22, 28, 120),
            ("LEFT",) * 3,
        )

    if pdf.will_page_break(30):  # keep the sign-off with the signatory
        pdf.add_page()
    pdf.ln(4)
    pdf.line_of_text("Yours sincerely,")
    pdf.ln(8)
    pdf.line_of_text(view["signatory"][0], style="B")
    pdf.line_of_text(view["signatory"][1])
    return bytes(pdf.output())
