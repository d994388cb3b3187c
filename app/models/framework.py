"""Criteria frameworks: the stored versions and the shape of a framework document."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class AnswerKind(StrEnum):
    yes_no_na = "yes_no_na"
    choice = "choice"


class DocumentFormat(StrEnum):
    """How an uploaded framework document is written."""

    json = "json"
    yaml = "yaml"


class Subject(StrEnum):
    case = "case"
    respondent = "respondent"


class DocModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Choice(DocModel):
    value: str = PydanticField(pattern=CODE_PATTERN)
    label: str = PydanticField(min_length=1, max_length=500)
    # Required, so a choice that forgets it is a located fault; null means "not applicable".
    sufficient: bool | None


class AppliesIf(DocModel):
    field: str | None = None
    question: str | None = None
    in_: list[Any] | None = PydanticField(default=None, alias="in")
    equals: Any = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Question(DocModel):
    code: str = PydanticField(pattern=CODE_PATTERN)
    section: str
    theme: str
    text: str = PydanticField(min_length=1, max_length=2000)
    criteria: list[str] = PydanticField(default_factory=list)
    answer: AnswerKind = AnswerKind.yes_no_na
    choices: list[Choice] | None = None
    key: bool = False
    applies_if: AppliesIf | None = None


class Instrument(DocModel):
    code: str = PydanticField(pattern=CODE_PATTERN)
    title: str = PydanticField(min_length=1, max_length=500)
    subject: Subject = Subject.case
    inspectorate: str | None = None
    questions: list[Question] = PydanticField(min_length=1)


class Section(DocModel):
    code: str = PydanticField(pattern=CODE_PATTERN)
    title: str = PydanticField(min_length=1, max_length=500)


class Theme(DocModel):
    code: str = PydanticField(pattern=CODE_PATTERN)
    title: str = PydanticField(min_length=1, max_length=500)
    prompts: list[str] = PydanticField(default_factory=list)


class Criterion(DocModel):
    code: str = PydanticField(pattern=CODE_PATTERN)
    theme: str
    text: str = PydanticField(min_length=1, max_length=4000)


class RatingBand(DocModel):
    min: float = PydanticField(ge=0, le=100)
    label: str = PydanticField(min_length=1, max_length=100)


class Rating(DocModel):
    basis: Literal["key_min", "mean"]
    bands: list[RatingBand] = PydanticField(min_length=1)


class OverallBand(DocModel):
    min: float = PydanticField(ge=0, description="Points the sections' ratings must reach")
    label: str = PydanticField(min_length=1, max_length=100)


class Overall(DocModel):
    """The overall rating: each section rating's points summed, then banded (SPEC 15)."""

    points: dict[str, int] = PydanticField(min_length=1, description="Rating band label -> points")
    bands: list[OverallBand] = PydanticField(min_length=1)


class FrameworkDocument(DocModel):
    """A framework as uploaded: the shape of reference/omi-custody-2011.yaml."""

    code: str = PydanticField(pattern=CODE_PATTERN)
    version: int | None = PydanticField(default=None, ge=1)
    title: str = PydanticField(min_length=1, max_length=500)
    inspectorates: list[str] = PydanticField(default_factory=list)
    scope_note: str | None = None
    rating: Rating | None = None
    overall: Overall | None = None
    sections: list[Section] = PydanticField(min_length=1)
    themes: list[Theme] = PydanticField(min_length=1)
    criteria: list[Criterion] = PydanticField(default_factory=list)
    instruments: list[Instrument] = PydanticField(min_length=1)


class Framework(SQLModel, table=True):
    """One immutable-once-used version of a framework."""

    __table_args__ = (UniqueConstraint("code", "version"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    code: str = Field(max_length=64, index=True)
    version: int = Field(ge=1)
    title: str = Field(max_length=500)
    document: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    checksum: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, max_length=64)


class FrameworkHeader(BaseModel):
    code: str
    version: int
    title: str
    versions: list[int]
    created_at: datetime


class FrameworkSummary(FrameworkHeader):
    """One framework version in a listing: its instruments by code."""

    instruments: list[str]


class FrameworkRead(FrameworkHeader):
    """The whole tree of one framework version."""

    id: str
    in_use: bool
    inspectorates: list[str]
    scope_note: str | None
    rating: Rating | None
    overall: Overall | None
    sections: list[Section]
    themes: list[Theme]
    criteria: list[Criterion]
    instruments: list[Instrument]
