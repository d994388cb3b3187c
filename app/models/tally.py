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


class QuestionTally(SQLModel, table=True):
    """Per inspection and question, its yes and no answers (and per check its passes and
    fails), summed over the values: what the mean of inspections and the clustered interval
    need per inspection, kept so that aggregates need not group by inspection. `scope` is
    `in` or `out` (the cases in or out of scope) or `all`; `facet` and `facet_value` split
    the counts by one fact of the case as facet_tally does, or are empty for none. Derived
    from answer_tally and facet_tally in the same refresh."""

    __tablename__ = "question_tally"

    facet: str = Field(primary_key=True, max_length=16)
    scope: str = Field(primary_key=True, max_length=3)
    inspection_id: str = Field(
        sa_column=Column(
            String(32), ForeignKey("inspection.id", ondelete="CASCADE"), primary_key=True
        )
    )
    facet_value: str = Field(primary_key=True, max_length=32)
    question_code: str = Field(primary_key=True, max_length=64)
    yes_count: int
    no_count: int
