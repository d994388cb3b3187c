"""Answer counts kept per inspection, so aggregates across inspections need not scan answers."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, String
from sqlmodel import Field, SQLModel


class AnswerTally(SQLModel, table=True):
    """How many of an inspection's case answers have one value, split by the cases' scope (the
    published figures are of in-scope cases). The National Standards checks are counted here
    too, as questions `national_standards:<check>` whose value is the outcome (pass, fail,
    unknown; yes is pass, no is fail), so each check's counts add up to the cases. Rebuilt for
    the inspection in the transaction of every write to its cases, and when its fieldwork
    start moves (app/services/cases/tally.py)."""

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


class FacetTally(SQLModel, table=True):
    """The rows of answer_tally split once more by one fact of the case (a facet: grade, risk,
    sex, sentence type or age band), so aggregates grouped by a case fact sum counts too.
    An unrecorded fact (null) is kept as the empty string, since a key cannot be null."""

    __tablename__ = "facet_tally"

    facet: str = Field(primary_key=True, max_length=16)
    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), primary_key=True
        )
    )
    in_scope: bool = Field(primary_key=True)
    facet_value: str = Field(primary_key=True, max_length=32)
    question_code: str = Field(primary_key=True, max_length=64)
    value: str = Field(primary_key=True, max_length=64)
    answer_count: int
    yes_count: int
    no_count: int
