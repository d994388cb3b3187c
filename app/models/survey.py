"""Anonymous prisoner survey responses: the tables and the read and write schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow


class SurveyResponse(SQLModel, table=True):
    __tablename__ = "survey_response"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SurveyAnswer(SQLModel, table=True):
    __tablename__ = "survey_answer"

    response_id: str = Field(
        sa_column=Column(
            String(32),
            ForeignKey("survey_response.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    question_code: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=64)
    sufficient: bool | None = None


class SurveyResponseWrite(BaseModel):
    answers: dict[str, str | None] = PydanticField(
        description="survey question code → yes, no, na or a choice value"
    )


class SurveyResponseRead(BaseModel):
    id: str
    inspection: str
    answers: dict[str, str]
    created_at: datetime
