"""Evidence beyond case files, and criterion judgements resting on it."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow
from app.models.framework import CODE_PATTERN
from app.models.temporal import IsoDate


class EvidenceSource(StrEnum):
    omu_meeting = "omu_meeting"
    managers_meeting = "managers_meeting"
    document = "document"
    interview = "interview"
    survey = "survey"
    observation = "observation"


class JudgementValue(StrEnum):
    met = "met"
    partly_met = "partly_met"
    not_met = "not_met"


class EvidenceItem(SQLModel, table=True):
    __tablename__ = "evidence_item"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    source: EvidenceSource = Field(sa_type=String(32))
    observed_on: date
    criteria: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    text: str = Field(max_length=4000)
    created_by: str = Field(max_length=64)
    revision: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CriterionJudgement(SQLModel, table=True):
    __tablename__ = "criterion_judgement"
    # Each inspectorate of a joint inspection judges a criterion in its own right.
    __table_args__ = (
        UniqueConstraint(
            "inspection_id",
            "criterion_code",
            "inspectorate",
            name="uq_criterion_judgement_criterion_inspectorate",
        ),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    criterion_code: str = Field(max_length=64)
    inspectorate: str = Field(default="hmi-probation", max_length=32)
    judgement: JudgementValue = Field(sa_type=String(16))
    narrative: str = Field(max_length=8000)
    evidence_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by: str = Field(max_length=64)
    revision: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ---- request and response schemas ---------------------------------------------------------

EVIDENCE_TEXT_DOC = (
    "What was heard, read or seen, in at most 4000 characters. Never a prisoner's name or "
    "prison number: text containing something shaped like a prison number is refused."
)
CriterionCode = Annotated[str, PydanticField(pattern=CODE_PATTERN)]


class EvidenceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: EvidenceSource
    observed_on: IsoDate = PydanticField(description="When it was heard, read or seen")
    criteria: list[CriterionCode] = PydanticField(
        min_length=1, max_length=50, description="Codes of the framework's criteria it bears on"
    )
    text: str = PydanticField(min_length=1, max_length=4000, description=EVIDENCE_TEXT_DOC)


class EvidenceUpdate(BaseModel):
    """Every field optional; only the fields sent are changed."""

    model_config = ConfigDict(extra="forbid")

    source: EvidenceSource | None = None
    observed_on: IsoDate | None = None
    criteria: list[CriterionCode] | None = PydanticField(default=None, min_length=1, max_length=50)
    text: str | None = PydanticField(
        default=None, min_length=1, max_length=4000, description=EVIDENCE_TEXT_DOC
    )


class EvidenceRead(BaseModel):
    id: str
    inspection: str
    source: EvidenceSource
    observed_on: date
    criteria: list[str]
    text: str
    created_by: str
    created_at: datetime
    updated_at: datetime


class JudgementWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    judgement: JudgementValue
    narrative: str = PydanticField(
        min_length=1,
        max_length=8000,
        description="Why the criterion is judged so; no prisoner names or prison numbers",
    )
    evidence_ids: list[str] = PydanticField(
        default_factory=list,
        max_length=200,
        description="Evidence items of the same inspection the judgement rests on",
    )


class JudgementRead(BaseModel):
    id: str
    inspection: str
    criterion: str
    inspectorate: str = PydanticField(description="Whose judgement: hmi-probation or hmi-prisons")
    criterion_text: str
    theme: str
    judgement: JudgementValue
    narrative: str
    evidence_ids: list[str]
    created_by: str
    created_at: datetime
    updated_at: datetime


class JudgementFinding(BaseModel):
    """A criterion judgement as provisional findings and letters print it."""

    criterion: str
    inspectorate: str = PydanticField(description="Whose judgement: hmi-probation or hmi-prisons")
    text: str = PydanticField(description="The criterion's text")
    judgement: JudgementValue
    narrative: str


class InspectorateJudgement(BaseModel):
    inspectorate: str
    judgement: JudgementValue


class CriterionCoverage(BaseModel):
    criterion: str
    text: str
    theme: str
    judgement: JudgementValue | None
    narrative: str | None
    judgements: list[InspectorateJudgement] = PydanticField(
        description="Every inspectorate's judgement of the criterion, the one above first"
    )
    evidence_count: int = PydanticField(description="Evidence items bearing on the criterion")
    questions: list[str] = PydanticField(description="Case questions citing the criterion")
    question_mean: float | None = PydanticField(
        description="Unweighted mean of those questions' percents; null when none has a base"
    )
    covered: bool = PydanticField(description="Has a judgement, a question percent or evidence")
