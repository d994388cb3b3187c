"""Documents fit to send (SPEC 19): a letter's frozen content, and the typed documents the
renderers print. One document feeds both the HTML page and the PDF, so they cannot differ.

A document carries its words already written: every sentence, label and formatted figure
is decided by the service that builds it, and a template only lays it out.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

# ---------------------------------------------------------------------------------------
# A findings letter's content, frozen into its row when it is drafted (SPEC 9).


class LetterFigures(BaseModel):
    yes: int
    relevant: int
    percent: float | None


class Distribution(BaseModel):
    """A choice question's count of each choice, for the trust's cases and the sample's."""

    trust: dict[str, int]
    sample: dict[str, int]


class ChoiceLabel(BaseModel):
    value: str
    label: str


class LetterQuestion(BaseModel):
    code: str
    instrument: str
    theme: str | None = None
    text: str
    trust: LetterFigures
    sample: LetterFigures
    choices: list[ChoiceLabel] | None = Field(
        default=None, description="Choice questions: the choices, in the framework's order"
    )
    distribution: Distribution | None = Field(
        default=None, description="Choice questions: each choice's count"
    )


class ThemeMean(BaseModel):
    mean: float | None


class LetterTheme(BaseModel):
    code: str
    title: str | None = None
    trust: ThemeMean
    sample: ThemeMean


class Named(BaseModel):
    code: str
    name: str


class NamedArea(Named):
    # Letters frozen before areas had an era are to trusts.
    kind: str = Field(default="trust", description="noms_area, trust or region (SPEC 12)")


class InspectionDates(BaseModel):
    fieldwork_start: date | None = None
    fieldwork_end: date | None = None


class Signatory(BaseModel):
    name: str = ""
    title: str = ""


class LetterJudgement(BaseModel):
    model_config = ConfigDict(extra="allow")

    criterion: str
    judgement: str | None = None
    narrative: str | None = None
    text: str | None = None


class LetterContent(BaseModel):
    """What a letter says, as the JSON column stores it and the letter's JSON shows it."""

    inspection_dates: InspectionDates = Field(default_factory=InspectionDates)
    programme: str | None = None
    trust: NamedArea
    establishment: Named | None = None
    case_count: int = 0
    sample_case_count: int | None = None
    sample_areas: int | None = Field(
        default=None, description="Probation areas among the inspection's sampled cases"
    )
    questions: list[LetterQuestion] = []
    themes: list[LetterTheme] = []
    strengths: list[str] = []
    improvements: list[str] = []
    recommendations: list[str] = []
    judgements: list[LetterJudgement] = []
    signatory: Signatory = Field(default_factory=Signatory)


class LetterRecord(LetterContent):
    """A letter's content with the row's state: what the renderers start from."""

    id: str = ""
    status: str = "draft"
    version: int = 1
    published_at: datetime | None = None
    updated_at: datetime | None = None
    letter_date: date | None = None


# ---------------------------------------------------------------------------------------
# The printed documents.


class Chart(BaseModel):
    """An SVG chart and the words that stand for it (the image's alternative text)."""

    svg: str
    description: str
    labels: list[str] = Field(description="Every text the drawing itself shows")


class Table(BaseModel):
    headings: list[str]
    rows: list[list[str]]
    widths: list[int] = Field(description="Relative column widths for the PDF")
    caption: str | None = None


class Section(BaseModel):
    """A headed part of a document: paragraphs, then a chart, a table and a list."""

    heading: str
    paragraphs: list[str] = []
    chart: Chart | None = None
    table: Table | None = None
    items: list[str] = []
    numbered: bool = False
    notes: list[str] = []


class Document(BaseModel):
    """A letter or a provisional findings page, worded and formatted for print."""

    kind: str = Field(description="letter or findings")
    title: str
    author: str
    partner: str
    subject: str
    marker: str | None = Field(default=None, description="DRAFT or SUPERSEDED until released")
    marker_line: str | None = None
    date: str = ""
    addressee: list[str] = []
    salutation: str | None = None
    headline: str = ""
    facts: list[tuple[str, str]] = []
    introduction: list[str] = []
    sections: list[Section] = []
    closing: str | None = None
    signatory: list[str] = []
    footer: str = ""
    created: datetime | None = Field(default=None, description="Creation date the PDF carries")
