"""Findings letters to probation trusts."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, ForeignKey, Index, String, text
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow
from app.models.evidence import JudgementFinding


class LetterStatus(StrEnum):
    draft = "draft"
    published = "published"
    superseded = "superseded"


def _one_per_trust(name: str, status: LetterStatus) -> Index:
    """At most one letter of this status per trust and inspection, enforced by the database."""
    where = text(f"status = '{status.value}'")
    return Index(
        name,
        "inspection_id",
        "trust_code",
        unique=True,
        sqlite_where=where,
        postgresql_where=where,
    )


class FindingsLetter(SQLModel, table=True):
    __tablename__ = "findings_letter"
    # However many generations or publications race, a trust has one live draft and one
    # published (not superseded) letter per inspection, and each version number once.
    __table_args__ = (
        _one_per_trust("uq_findings_letter_one_draft", LetterStatus.draft),
        _one_per_trust("uq_findings_letter_one_published", LetterStatus.published),
        Index("uq_findings_letter_version", "inspection_id", "trust_code", "version", unique=True),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    trust_code: str = Field(foreign_key="trust.code", max_length=64, index=True)
    status: LetterStatus = Field(default=LetterStatus.draft, sa_type=String(16), index=True)
    version: int = Field(default=1)
    content: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    supersedes_id: str | None = Field(default=None, max_length=32)
    superseded_by_id: str | None = Field(default=None, max_length=32)
    generated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    created_by: str | None = Field(default=None, max_length=64)
    published_by: str | None = Field(default=None, max_length=64)


# --- the API's read schema (documentation: the service sends the letter's stored content) --
# Members added to letters after some were published are optional: a published letter's
# content is frozen as it was.


class Figures(BaseModel):
    yes: int
    relevant: int
    percent: float | None


class LetterQuestion(BaseModel):
    code: str
    instrument: str
    theme: str
    text: str
    trust: Figures
    sample: Figures
    choices: list[dict[str, str]] | None = PydanticField(
        default=None, exclude_if=lambda value: value is None, description="Choice questions"
    )
    distribution: dict[str, dict[str, int]] | None = PydanticField(
        default=None,
        exclude_if=lambda value: value is None,
        description="Choice questions: each choice's count, for the trust and the sample",
    )


class ThemeMean(BaseModel):
    mean: float | None = PydanticField(description="Unweighted mean of the theme's percents")


class LetterTheme(BaseModel):
    code: str
    title: str
    trust: ThemeMean
    sample: ThemeMean


class InspectionDates(BaseModel):
    fieldwork_start: date
    fieldwork_end: date | None


class LetterRead(BaseModel):
    id: str
    inspection: str
    trust: dict[str, str] = PydanticField(description="code, name and kind of area")
    establishment: dict[str, str] | None = PydanticField(description="code and name")
    programme: str | None = None
    inspection_dates: InspectionDates | None = None
    status: LetterStatus
    version: int
    supersedes: str | None = PydanticField(
        default=None, description="The letter this version corrects"
    )
    superseded_by: str | None = PydanticField(
        default=None, description="The corrected version that replaced this letter"
    )
    case_count: int = PydanticField(description="The trust's cases in the sample")
    sample_case_count: int | None = PydanticField(
        default=None, description="Cases in the whole sample, beside which the trust is shown"
    )
    generated_at: datetime
    published_at: datetime | None
    updated_at: datetime
    sample_areas: int | None = PydanticField(
        default=None, description="Probation areas among the sample's cases (one: whole sample)"
    )
    letter_date: date = PydanticField(
        description="The date the letter bears: published, else drafted"
    )
    questions: list[LetterQuestion]
    themes: list[LetterTheme]
    strengths: list[str] = PydanticField(description="Question codes")
    improvements: list[str] = PydanticField(description="Question codes")
    recommendations: list[str]
    judgements: list[JudgementFinding] = []
    signatory: dict[str, str] = PydanticField(description="name and title")


class LetterList(BaseModel):
    items: list[LetterRead]
    total: int
    limit: int
    offset: int
