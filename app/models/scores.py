"""The documents of scores, aggregates and provisional findings, as the services build them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.models.evidence import CriterionCoverage, JudgementFinding
from app.models.inspection import InspectionStatus
from app.models.prison_tests import PrisonTestRead
from app.models.review import QuestionAgreement


class Figures(BaseModel):
    """The counted fields of SPEC 7 for one question over a set of cases or respondents."""

    yes: int
    no: int
    na: int
    unanswered: int
    relevant: int = Field(description="yes + no")
    percent: float | None = Field(description="100 * yes / relevant, one decimal")
    ci95: list[float] | None = Field(description="Wilson score interval [low, high], percents")
    low_base: bool = Field(description="relevant < 5")


class QuestionHead(BaseModel):
    code: str
    text: str
    key: bool
    section: str | None
    theme: str | None
    criteria: list[str]


class QuestionScore(Figures, QuestionHead):
    # Only choice questions carry a distribution; the key is left out for the others.
    distribution: dict[str, int] | None = Field(
        default=None,
        description="Choice questions: each choice's count",
        exclude_if=lambda value: value is None,
    )


class Rollup(BaseModel):
    code: str
    title: str | None = None
    mean: float | None = Field(description="Unweighted mean of the questions' percents")
    key_min: float | None = Field(description="Lowest percent among key questions")


class SectionScore(Rollup):
    rating: str | None = Field(description="The framework's rating band, if it defines one")
    rating_source: Literal["computed", "overridden"] | None = Field(
        default=None, description="Where the framework defines a rating: computed or overridden"
    )
    computed_rating: str | None = Field(
        default=None, description="The band the figures give, kept beside an override"
    )
    reason: str | None = Field(default=None, description="Why the rating was overridden")
    by: str | None = Field(default=None, description="Who overrode the rating")
    at: datetime | None = Field(default=None, description="When the rating was overridden")


class OverallRating(BaseModel):
    score: int = Field(description="The section ratings' points summed")
    max: int = Field(description="The most points the sections could have")
    rating: str | None = Field(description="The band of the score; null while a section is unrated")
    unrated: list[str] = Field(description="Sections without a rating (no relevant answers)")


class Rollups(BaseModel):
    sections: list[SectionScore]
    themes: list[Rollup]
    criteria: list[Rollup]


class InstrumentHead(BaseModel):
    code: str
    title: str
    subject: str
    scored: int = Field(description="Cases (or survey respondents) scored")
    questions: list[QuestionScore]


class InstrumentScores(Rollups, InstrumentHead):
    pass


class FrameworkRef(BaseModel):
    code: str
    version: int


class ScoreFilters(BaseModel):
    trust: str | None = Field(description="Only cases of this home trust")
    in_scope: bool | None = Field(description="Only cases in (or out of) scope of the model")


class SampleScores(BaseModel):
    """The figures of an inspection's cases and respondents, before ratings and coverage."""

    inspection: str
    framework: FrameworkRef
    cases: int
    cases_approved: int = Field(description="Cases whose reading is approved (SPEC 14)")
    review: dict[str, int] = Field(description="Cases per review status")
    respondents: int
    filters: ScoreFilters
    instruments: list[InstrumentScores]


class CriteriaCoverage(BaseModel):
    criteria_coverage: list[CriterionCoverage] = Field(
        description="Per criterion: judgement, evidence count and case questions' mean"
    )
    not_covered: list[str] = Field(
        description="Criteria with neither a judgement, nor case question figures, nor evidence"
    )


class InspectionScores(CriteriaCoverage, SampleScores):
    overall: OverallRating | None = Field(
        description="Where the framework defines overall: the sections' points summed and banded"
    )


class Comparison(BaseModel):
    yes: int
    relevant: int
    percent: float | None
    difference: float | None = Field(description="percent - compare.percent, percentage points")
    p_value: float | None = Field(description="Two-proportion z-test, two-sided")


class PooledQuestion(BaseModel):
    code: str
    text: str
    key: bool
    section: str | None = None
    theme: str | None = None
    criteria: list[str] = Field(default_factory=list)
    yes: int
    no: int
    na: int
    unanswered: int
    relevant: int
    percent: float | None
    ci95: list[float] | None
    ci95_clustered: list[float] | None = Field(
        default=None,
        description="95% interval with inspections as clusters (ratio estimator, "
        "cluster-robust variance; docs/aggregates.md); null with fewer than two "
        "inspections scored or nothing relevant",
    )
    low_base: bool
    distribution: dict[str, int] | None = None
    mean_of_inspections: float | None = Field(
        description="Unweighted mean of the inspections' percents"
    )
    inspections_scored: int = Field(description="Inspections with a percent for the question")
    compare: Comparison | None = None


class PooledInstrument(BaseModel):
    code: str
    title: str
    subject: str
    questions: list[PooledQuestion]
    sections: list[SectionScore] = Field(
        default_factory=list, description="Roll-ups of the pooled questions, as in scores"
    )
    themes: list[Rollup] = Field(default_factory=list)
    criteria: list[Rollup] = Field(default_factory=list)


GroupKey = str | int | bool | None


class SubjectCounts(BaseModel):
    inspections: int
    cases: int
    respondents: int


class AggregateRow(BaseModel):
    group: dict[str, GroupKey] = Field(description="The group's key per dimension; {} ungrouped")
    label: str | None = None
    inspections: int
    cases: int
    respondents: int
    instruments: list[PooledInstrument]
    compare: SubjectCounts | None = None


class AggregateFiltersRead(BaseModel):
    """The filters an aggregate was computed with, as the query gave them."""

    model_config = ConfigDict(populate_by_name=True)

    programme: str | None
    inspection: list[str]
    establishment: str | None
    establishment_type: str | None
    region: str | None
    trust: str | None
    start_from: date | None = Field(alias="from")
    start_to: date | None = Field(alias="to")
    status: list[str]
    in_scope: bool | None


class ComparePeriod(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    start_from: date | None = Field(alias="from")
    start_to: date | None = Field(alias="to")


class Aggregates(BaseModel):
    framework: FrameworkRef = Field(description="The latest version pooled")
    versions: list[int] = Field(
        default_factory=list, description="The versions pooled by question code"
    )
    filters: AggregateFiltersRead
    group_by: str | None = Field(description="The dimensions, comma-separated")
    compare: ComparePeriod | None
    notes: list[str]
    rows: list[AggregateRow]


class FindingsQuestion(BaseModel):
    code: str
    instrument: str | None = Field(default=None, description="The instrument the figure is from")
    text: str
    yes: int
    relevant: int
    percent: float | None
    low_base: bool


class FindingsTheme(BaseModel):
    code: str
    title: str
    mean: float | None
    key_min: float | None
    questions: list[FindingsQuestion]


class Highlight(BaseModel):
    code: str
    instrument: str | None = Field(default=None, description="The instrument the figure is from")
    text: str
    percent: float | None
    relevant: int


class FindingsAgreement(BaseModel):
    second_readings: int
    overall: QuestionAgreement
    low_agreement: list[QuestionAgreement] = Field(
        description="Questions whose kappa is below 0.40 on at least 5 pairs"
    )


class FindingsInspection(BaseModel):
    id: str
    programme: str
    status: InspectionStatus
    fieldwork_start: date
    fieldwork_end: date | None


class ProvisionalFindings(BaseModel):
    inspection: FindingsInspection
    establishment: dict[str, str] | None
    trust: dict[str, str] | None
    cases: int
    cases_approved: int = Field(description="Cases whose reading is approved (SPEC 14)")
    generated_at: datetime
    themes: list[FindingsTheme]
    strengths: list[Highlight]
    improvements: list[Highlight]
    recommendations: list[str]
    good_practice: list[str]
    judgements: list[JudgementFinding]
    agreement: FindingsAgreement = Field(
        description="Agreement of the second readings, with the questions of low agreement"
    )
    healthy_prison_tests: list[PrisonTestRead] | None = Field(
        description="HMI Prisons' four tests; null for a community inspection"
    )
