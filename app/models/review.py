"""The review history of case readings, and second readings kept apart from the case."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow


class ReviewStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"
    approved = "approved"


class ReviewAction(StrEnum):
    submit = "submit"
    approve = "approve"
    return_ = "return"


class HistoryAction(StrEnum):
    """What a history entry records: a review move, an import, or a change that reopened it."""

    submit = "submit"
    approve = "approve"
    return_ = "return"
    edit = "edit"
    import_ = "import"


class CaseReview(SQLModel, table=True):
    """One move of a case's review status, with who made it and why."""

    __tablename__ = "case_review"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_id: str = Field(
        sa_column=Column(
            String(32),
            ForeignKey("inspection_case.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    # Kept beside the case so the scores stamp counts an inspection's moves in one lookup.
    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    action: HistoryAction = Field(sa_type=String(16))
    from_status: ReviewStatus | None = Field(default=None, sa_type=String(16))
    to_status: ReviewStatus = Field(sa_type=String(16))
    comment: str | None = Field(default=None, max_length=4000)
    actor: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SecondReading(SQLModel, table=True):
    """A second inspector's reading of a case; never counted in scores."""

    __tablename__ = "second_reading"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    case_id: str = Field(
        sa_column=Column(
            String(32),
            ForeignKey("inspection_case.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        )
    )
    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    reader: str = Field(max_length=64)
    revision: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SecondReadingAnswer(SQLModel, table=True):
    __tablename__ = "second_reading_answer"

    reading_id: str = Field(
        sa_column=Column(
            String(32),
            ForeignKey("second_reading.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    question_code: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=64)
    sufficient: bool | None = None


# ---- request and response schemas ---------------------------------------------------------

COMMENT_DOC = "Why; required to return a case. No prisoner names or prison numbers."


class ReviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: ReviewAction
    comment: str | None = PydanticField(default=None, max_length=4000, description=COMMENT_DOC)

    @model_validator(mode="after")
    def _return_needs_a_comment(self) -> ReviewRequest:
        if self.action is ReviewAction.return_ and not (self.comment or "").strip():
            raise ValueError("a returned case needs a comment saying what to change")
        return self


class BulkReviewRequest(ReviewRequest):
    cases: list[str] = PydanticField(
        min_length=1, max_length=500, description="Ids of cases of this inspection"
    )


class ReviewRead(BaseModel):
    id: str
    case: str
    action: HistoryAction
    from_status: ReviewStatus | None
    to_status: ReviewStatus
    comment: str | None
    actor: str
    created_at: datetime


class ReviewHistory(BaseModel):
    case: str
    review_status: ReviewStatus
    submitted_by: str | None
    items: list[ReviewRead]


class ReviewOutcome(BaseModel):
    """A case after a review move."""

    case: str
    case_ref: str
    review_status: ReviewStatus
    submitted_by: str | None
    allowed_actions: list[ReviewAction]


class BulkReviewOutcome(BaseModel):
    action: ReviewAction
    moved: int
    cases: list[ReviewOutcome]


class SecondReadingWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answers: dict[str, str] = PydanticField(
        description="question code -> yes, no, na or a choice value, checked as the case's are"
    )


class SecondReadingRead(BaseModel):
    id: str
    case: str
    inspection: str
    reader: str
    answers: dict[str, str]
    created_at: datetime
    updated_at: datetime


class QuestionAgreement(BaseModel):
    code: str
    text: str
    pairs: int = PydanticField(description="Cases whose both readings answered the question")
    agreed: int
    percent_agreement: float | None = PydanticField(description="100 * agreed / pairs")
    kappa: float | None = PydanticField(description="Cohen's kappa; null where undefined")
    low_agreement: bool


class AgreementRead(BaseModel):
    inspection: str
    second_readings: int
    overall: QuestionAgreement
    questions: list[QuestionAgreement]
