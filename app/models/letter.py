"""Findings letters to probation trusts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, text
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow


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
