"""The draft aggregate report (SPEC 19): the pooled figures across inspections laid out as the
Second Aggregate Report is, a chapter per theme, as the JSON the HTML and PDF are written from."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from app.models.scores import AggregateFiltersRead, ComparePeriod, Comparison, FrameworkRef


class CoveredEstablishment(BaseModel):
    code: str | None = Field(description="Null for inspections of a trust, not a prison")
    name: str
    establishment_type: str | None = None
    inspections: int
    cases: int


class ReportCoverage(BaseModel):
    inspections: int
    cases: int
    fieldwork_from: date | None = Field(description="The earliest fieldwork start covered")
    fieldwork_to: date | None = Field(description="The latest fieldwork start covered")
    establishments: list[CoveredEstablishment]


class EstablishmentTypeCount(BaseModel):
    establishment_type: str
    label: str
    inspections: int
    cases: int


class TypeFigures(BaseModel):
    establishment_type: str
    yes: int
    relevant: int
    percent: float | None
    low_base: bool


class ReportQuestion(BaseModel):
    code: str
    instrument: str
    text: str
    key: bool
    yes: int
    relevant: int
    percent: float | None = Field(description="As the aggregates give it, one decimal")
    ci95: list[float] | None = Field(description="Wilson 95% interval, percents")
    ci95_clustered: list[float] | None = Field(
        default=None, description="95% interval treating inspections as clusters"
    )
    low_base: bool
    compare: Comparison | None = Field(
        default=None, description="With a comparison period: its figures and the z-test"
    )
    by_establishment_type: list[TypeFigures]


class ReportChapter(BaseModel):
    theme: str
    title: str
    mean: float | None = Field(description="Unweighted mean of the chapter's questions' percents")
    questions: list[ReportQuestion]


class ReportChange(BaseModel):
    code: str
    instrument: str
    theme: str | None
    text: str
    percent: float | None
    compare_percent: float | None
    difference: float | None = Field(description="Percentage points, this period less the other")
    p_value: float | None = Field(description="Two-proportion z-test, two-sided, unadjusted")
    adjusted_p_value: float | None = Field(description="Holm-adjusted for the tests made")
    significant: bool


class ReportChanges(BaseModel):
    compare: ComparePeriod
    inspections: int
    cases: int
    method: str = Field(description="How multiple comparisons are handled")
    alpha: float
    tested: int = Field(description="Questions with a base in both periods")
    changes: list[ReportChange] = Field(description="Significant changes only, largest first")


class LowBaseNote(BaseModel):
    code: str
    instrument: str
    text: str
    relevant: int
    establishment_type: str | None = Field(
        default=None, description="Set when the low base is one establishment type's"
    )


class AggregateReport(BaseModel):
    title: str
    framework: FrameworkRef
    versions: list[int]
    filters: AggregateFiltersRead
    compare: ComparePeriod | None
    coverage: ReportCoverage
    establishment_types: list[EstablishmentTypeCount]
    chapters: list[ReportChapter]
    significant_changes: ReportChanges | None = Field(
        description="Null without a comparison period"
    )
    low_base: list[LowBaseNote] = Field(
        description="Figures resting on fewer than 5 relevant cases"
    )
    notes: list[str]
