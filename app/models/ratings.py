"""Section ratings overridden by an inspector, with the reason (SPEC 15)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlalchemy import Column, ForeignKey, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow


class RatingOverride(SQLModel, table=True):
    """An inspector's rating of a section in place of the computed one, with the reason."""

    __tablename__ = "rating_override"
    __table_args__ = (UniqueConstraint("inspection_id", "section_code"),)

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    section_code: str = Field(max_length=64)
    rating: str = Field(max_length=100)
    reason: str = Field(max_length=4000)
    created_by: str = Field(max_length=64)
    revision: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ---- request and response schemas ---------------------------------------------------------


class RatingOverrideWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: str = PydanticField(min_length=1, max_length=100, description="A band's label")
    reason: str = PydanticField(
        min_length=1, max_length=4000, description="Why the computed rating does not stand"
    )


class SectionRatingRead(BaseModel):
    inspection: str
    section: str
    rating: str | None
    rating_source: str
    computed_rating: str | None
    reason: str | None
    by: str | None
    at: datetime | None
