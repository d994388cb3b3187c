"""Sampled cases and the answers recorded for them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow
from app.models.review import ReviewStatus
from app.models.temporal import IsoDate


class Sex(StrEnum):
    male = "male"
    female = "female"


class SentenceType(StrEnum):
    determinate = "determinate"
    ipp = "ipp"
    life = "life"


class Rosh(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    very_high = "very_high"


class OsGrade(StrEnum):
    prison_officer = "prison_officer"
    probation_officer = "probation_officer"
    probation_services_officer = "probation_services_officer"


CASE_DATE_FIELDS = (
    "sentence_date",
    "reception_date",
    "release_date",
    "os_allocated_date",
    "first_contact_date",
    "om_allocated_date",
    "sentence_plan_date",
    "last_roh_review_date",
)

CASE_ATTRIBUTES = (
    "case_ref",
    "home_trust",
    "sex",
    "age_at_sentence",
    "sentence_type",
    "sentence_months",
    "rosh",
    "mappa_level",
    "ppo",
    "os_grade",
    *CASE_DATE_FIELDS,
)
# Facts a question's applies_if may test: the attributes and the derived scope.
CONDITION_FIELDS = frozenset(CASE_ATTRIBUTES) | {"in_scope"}


class Case(SQLModel, table=True):
    __tablename__ = "inspection_case"
    __table_args__ = (UniqueConstraint("inspection_id", "case_ref"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    case_ref: str = Field(max_length=32)
    home_trust: str = Field(foreign_key="trust.code", max_length=64, index=True)
    sex: Sex | None = Field(default=None, sa_type=String(8))
    age_at_sentence: int | None = None
    sentence_type: SentenceType = Field(sa_type=String(16))
    sentence_months: float | None = None
    rosh: Rosh | None = Field(default=None, sa_type=String(16))
    mappa_level: int = Field(default=0)
    ppo: bool = Field(default=False)
    os_grade: OsGrade | None = Field(default=None, sa_type=String(32))
    sentence_date: date
    reception_date: date | None = None
    release_date: date | None = None
    os_allocated_date: date | None = None
    first_contact_date: date | None = None
    om_allocated_date: date | None = None
    sentence_plan_date: date | None = None
    last_roh_review_date: date | None = None
    # Derived from the attributes on every write; stored so scores can filter in SQL.
    in_scope: bool = Field(default=False, index=True)
    # The review of the reading (SPEC 14); moves are kept in case_review.
    review_status: ReviewStatus = Field(default=ReviewStatus.draft, sa_type=String(16), index=True)
    submitted_by: str | None = Field(default=None, max_length=64)
    revision: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Answer(SQLModel, table=True):
    """One question's answer for one case; `sufficient` is the scored outcome."""

    case_id: str = Field(
        sa_column=Column(
            String(32),
            ForeignKey("inspection_case.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    question_code: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=64)
    # True counts yes, False counts no, None counts not applicable.
    sufficient: bool | None = None


class CaseWrite(BaseModel):
    """The body of a case create or update. Documented here; checked by the case rules so
    that every fault of a request is reported together."""

    model_config = ConfigDict(extra="forbid")

    case_ref: str | None = PydanticField(default=None, pattern=r"^[A-Za-z0-9_-]{1,32}$")
    home_trust: str | None = None
    sex: Literal["male", "female"] | None = None
    age_at_sentence: int | None = None
    sentence_type: Literal["determinate", "ipp", "life"] | None = None
    sentence_months: float | None = None
    rosh: Literal["low", "medium", "high", "very_high"] | None = None
    mappa_level: int | None = PydanticField(default=None, ge=0, le=3)
    ppo: bool | None = None
    os_grade: (
        Literal["prison_officer", "probation_officer", "probation_services_officer"] | None
    ) = None
    sentence_date: IsoDate | None = None
    reception_date: IsoDate | None = None
    release_date: IsoDate | None = None
    os_allocated_date: IsoDate | None = None
    first_contact_date: IsoDate | None = None
    om_allocated_date: IsoDate | None = None
    sentence_plan_date: IsoDate | None = None
    last_roh_review_date: IsoDate | None = None
    answers: dict[str, str | None] | None = PydanticField(
        default=None,
        description="question code → yes, no, na or a choice value; null clears an answer",
    )


class CaseRead(BaseModel):
    id: str
    inspection: str
    case_ref: str
    home_trust: str
    sex: str | None
    age_at_sentence: int | None
    sentence_type: str
    sentence_months: float | None
    rosh: str | None
    mappa_level: int
    ppo: bool
    os_grade: str | None
    sentence_date: date
    reception_date: date | None
    release_date: date | None
    os_allocated_date: date | None
    first_contact_date: date | None
    om_allocated_date: date | None
    sentence_plan_date: date | None
    last_roh_review_date: date | None
    in_scope: bool
    scope_reasons: list[str]
    national_standards: dict[str, str]
    answers: dict[str, str]
    review_status: ReviewStatus = PydanticField(
        description="draft, submitted, returned or approved; moved by POST /cases/{id}/review"
    )
    submitted_by: str | None = PydanticField(description="Who last submitted the reading")
    created_at: datetime
    updated_at: datetime
