"""HMI Prisons' healthy prison tests of an inspection (SPEC 15)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow


class PrisonTest(StrEnum):
    safety = "safety"
    respect = "respect"
    purposeful_activity = "purposeful_activity"
    rehabilitation_release_planning = "rehabilitation_release_planning"


PRISON_TEST_TITLES = {
    PrisonTest.safety: "Safety",
    PrisonTest.respect: "Respect",
    PrisonTest.purposeful_activity: "Purposeful activity",
    PrisonTest.rehabilitation_release_planning: "Rehabilitation and release planning",
}
# HMI Prisons' four-point scale.
PRISON_TEST_LABELS = {4: "good", 3: "reasonably good", 2: "not sufficiently good", 1: "poor"}


class HealthyPrisonTest(SQLModel, table=True):
    __tablename__ = "healthy_prison_test"
    __table_args__ = (UniqueConstraint("inspection_id", "test"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    test: PrisonTest = Field(sa_type=String(40))
    score: int
    rationale: str = Field(max_length=8000)
    created_by: str = Field(max_length=64)
    updated_by: str = Field(max_length=64)
    revision: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ---- request and response schemas ---------------------------------------------------------


class PrisonTestWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    score: int = PydanticField(
        ge=1, le=4, description="4 good, 3 reasonably good, 2 not sufficiently good, 1 poor"
    )
    rationale: str = PydanticField(
        min_length=1,
        max_length=8000,
        description="Why the test is scored so; no prisoner names or prison numbers",
    )


class PrisonTestRead(BaseModel):
    test: PrisonTest
    title: str
    score: int | None = PydanticField(description="Null until the test is scored")
    label: str | None
    rationale: str | None
    updated_by: str | None
    updated_at: datetime | None


class PrisonTestsRead(BaseModel):
    inspection: str
    tests: list[PrisonTestRead]


class PrisonTestCount(BaseModel):
    test: PrisonTest
    title: str
    scored: int = PydanticField(description="Inspections that scored the test")
    scores: dict[str, int] = PydanticField(description="Score (4 to 1) -> inspections")
    labels: dict[str, int] = PydanticField(description="The same counts by label")


class PrisonTestFiltersApplied(BaseModel):
    """The filters as applied (null or empty: not filtered)."""

    model_config = ConfigDict(populate_by_name=True)

    framework_id: str | None
    programme: str | None
    inspection: list[str]
    establishment: str | None
    establishment_type: str | None
    region: str | None
    from_: date | None = PydanticField(alias="from")
    to: date | None
    status: list[str]


class PrisonTestRow(BaseModel):
    group: dict[str, str | int | None] = PydanticField(
        description="The row's value of the group_by dimension; {} ungrouped"
    )
    inspections: int = PydanticField(description="Matching inspections with any test scored")
    tests: list[PrisonTestCount]


class PrisonTestAggregates(BaseModel):
    filters: PrisonTestFiltersApplied
    group_by: str | None
    rows: list[PrisonTestRow]
