"""Bulk uploads: their records, and what an import answers."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow


class ImportKind(StrEnum):
    cases = "cases"
    survey = "survey"


class ImportMode(StrEnum):
    create = "create"
    upsert = "upsert"


class CaseImport(SQLModel, table=True):
    __tablename__ = "case_import"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    kind: ImportKind = Field(default=ImportKind.cases, sa_type=String(16))
    mode: str = Field(max_length=16)
    content_type: str = Field(max_length=100)
    actor: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    rows: int
    created: int
    updated: int
    checksum: str = Field(max_length=64)
    size_bytes: int


class ImportChange(BaseModel):
    """One existing case an upsert changes: its fields before and after (answers whole)."""

    row: int
    case_ref: str
    case: str
    before: dict[str, Any]
    after: dict[str, Any]


class ImportResult(BaseModel):
    import_id: str | None
    rows: int
    created: int
    updated: int = Field(description="Existing cases the file changes")
    unchanged: int = Field(
        default=0, description="Existing cases named by the file that it leaves as they are"
    )
    dry_run: bool
    changes: list[ImportChange] | None = Field(
        default=None,
        description=(
            "A dry run with mode=upsert: each case the file would change, with the changed "
            "fields before and after (the first 1000)"
        ),
    )


class ImportRecordRead(BaseModel):
    """Who imported what, when, and the SHA-256 of the file."""

    id: str
    inspection: str
    kind: ImportKind
    mode: ImportMode
    content_type: str
    actor: str
    created_at: datetime
    rows: int
    created: int
    updated: int
    checksum: str
    size_bytes: int
