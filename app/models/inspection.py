"""Inspections: one inspection of an establishment (or a trust) under a programme."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, NotRequired

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel
from typing_extensions import TypedDict

from app.models.base import UTCDateTime, new_id, utcnow
from app.models.temporal import IsoDate


class InspectionStatus(StrEnum):
    planned = "planned"
    fieldwork = "fieldwork"
    reporting = "reporting"
    published = "published"


# The only legal moves of an inspection's lifecycle.
TRANSITIONS: dict[InspectionStatus, tuple[InspectionStatus, ...]] = {
    InspectionStatus.planned: (InspectionStatus.fieldwork,),
    InspectionStatus.fieldwork: (InspectionStatus.reporting,),
    InspectionStatus.reporting: (InspectionStatus.published,),
    InspectionStatus.published: (),
}


class Inspection(SQLModel, table=True):
    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    programme_code: str = Field(foreign_key="programme.code", max_length=32, index=True)
    framework_id: str = Field(foreign_key="framework.id", max_length=32, index=True)
    establishment_code: str | None = Field(
        default=None, foreign_key="establishment.code", max_length=64, index=True
    )
    trust_code: str | None = Field(
        default=None, foreign_key="trust.code", max_length=64, index=True
    )
    fieldwork_start: date = Field(index=True)
    fieldwork_end: date | None = None
    status: InspectionStatus = Field(
        default=InspectionStatus.planned, sa_type=String(16), index=True
    )
    team: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    recommendations: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    good_practice: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    sample: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    revision: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, max_length=64)


def _clean_texts(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    cleaned = [value.strip() for value in values]
    if any(not value for value in cleaned):
        raise ValueError("entries must not be blank")
    return cleaned


class InspectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    programme: str = PydanticField(min_length=1, max_length=32)
    framework: str | None = PydanticField(
        default=None,
        max_length=64,
        description="Framework code; the programme's default if omitted",
    )
    framework_version: int | None = PydanticField(default=None, ge=1)
    establishment: str | None = PydanticField(default=None, max_length=64)
    trust: str | None = PydanticField(default=None, max_length=64)
    fieldwork_start: IsoDate
    fieldwork_end: IsoDate | None = None
    team: list[str] = PydanticField(default_factory=list, max_length=50)
    recommendations: list[str] = PydanticField(default_factory=list, max_length=200)
    good_practice: list[str] = PydanticField(default_factory=list, max_length=200)

    _texts = field_validator("team", "recommendations", "good_practice")(_clean_texts)


class InspectionUpdate(BaseModel):
    """Every field optional; only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    fieldwork_start: IsoDate | None = None
    fieldwork_end: IsoDate | None = None
    team: list[str] | None = PydanticField(default=None, max_length=50)
    recommendations: list[str] | None = PydanticField(default=None, max_length=200)
    good_practice: list[str] | None = PydanticField(default=None, max_length=200)

    _texts = field_validator("team", "recommendations", "good_practice")(_clean_texts)


class TransitionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: InspectionStatus


class SampleSummary(TypedDict):
    """The sample as drawn (SPEC 6); the references only for roles that read cases."""

    seed: str
    population: int
    in_scope: int
    case_size: int
    survey_size: int
    cases_created: int
    case_refs: NotRequired[list[str]]
    survey_refs: NotRequired[list[str]]
    drawn_at: str
    drawn_by: str
    replaced_cases: int


class InspectionRead(BaseModel):
    id: str
    programme: str
    framework: str
    framework_version: int
    establishment: str | None
    trust: str | None
    fieldwork_start: date
    fieldwork_end: date | None
    status: InspectionStatus
    allowed_transitions: list[InspectionStatus]
    team: list[str]
    recommendations: list[str]
    good_practice: list[str]
    sample: SampleSummary | None = PydanticField(description="The drawn sample, once drawn")
    created_at: datetime
    updated_at: datetime
