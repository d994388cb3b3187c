"""Answer counts kept per inspection, so aggregates across inspections need not scan answers."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel


class AnswerTally(SQLModel, table=True):
    """How many of an inspection's case answers have one value, split by the cases' scope (the
    published figures are of in-scope cases). Rebuilt for the inspection in the transaction
    of every write to its cases (app/services/answer_tally.py)."""

    __tablename__ = "answer_tally"

    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), primary_key=True
        )
    )
    in_scope: bool = Field(primary_key=True)
    question_code: str = Field(primary_key=True, max_length=64)
    value: str = Field(primary_key=True, max_length=64)
    answer_count: int
    yes_count: int
    no_count: int
