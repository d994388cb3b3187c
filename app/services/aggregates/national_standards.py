"""The National Standards checks of SPEC 2.1 as SQL, so aggregates count them in the database.

Each check is the same rule as app/rules/national_standards.py, written as a CASE over the
case's dates: `unknown` when a date it needs is missing, else `pass` or `fail`. Date
arithmetic differs between the databases, so the three operations the checks need (days
between two dates, two years on, four months back, each clamped to the end of a shorter
month as the rules do) are compiled per dialect. tests/services/aggregates checks that
the SQL and the rules agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Integer,
    String,
    Subquery,
    case,
    func,
    literal,
    null,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlmodel import col, select

from app.models import Case
from app.rules.national_standards import (
    EIGHT_WEEKS_DAYS,
    FAIL,
    NS_CHECKS,
    PASS,
    SIXTEEN_WEEKS_DAYS,
    UNKNOWN,
)
from app.rules.scope import INDETERMINATE


class days_between(FunctionElement[int]):  # a SQL function, named as one
    """later - earlier in whole days."""

    type = Integer()
    inherit_cache = True


class two_years_on(FunctionElement[Any]):
    """The same day two years on; 29 February falls back to the 28th (add_years)."""

    inherit_cache = True


class four_months_back(FunctionElement[Any]):
    """The same day four months earlier, clamped to a shorter month's end (subtract_months)."""

    inherit_cache = True


def _args(compiler: SQLCompiler, element: FunctionElement[Any], **kw: Any) -> list[str]:
    return [compiler.process(arg, **kw) for arg in element.clauses]


@compiles(days_between)
def _days_between(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _args(compiler, element, **kw)
    return f"({later} - {earlier})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = _args(compiler, element, **kw)
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


@compiles(two_years_on)
def _two_years_on(element: two_years_on, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = _args(compiler, element, **kw)
    # PostgreSQL clamps to the end of the month itself.
    return f"CAST({day} + INTERVAL '2 years' AS DATE)"


@compiles(two_years_on, "sqlite")
def _two_years_on_sqlite(element: two_years_on, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = _args(compiler, element, **kw)
    # SQLite rolls 29 February over into March; the month's last day is the cap.
    return (
        f"min(date({day}, '+2 years'), "
        f"date({day}, 'start of month', '+2 years', '+1 month', '-1 day'))"
    )


@compiles(four_months_back)
def _four_months_back(element: four_months_back, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = _args(compiler, element, **kw)
    return f"CAST({day} - INTERVAL '4 months' AS DATE)"


@compiles(four_months_back, "sqlite")
def _four_months_back_sqlite(element: four_months_back, compiler: SQLCompiler, **kw: Any) -> str:
    (day,) = _args(compiler, element, **kw)
    return f"min(date({day}, '-4 months'), date({day}, 'start of month', '-3 months', '-1 day'))"


def _within(event: Any, base: Any, days: Any) -> ColumnElement[str]:
    return case(
        (event.is_(None) | base.is_(None) | days.is_(None), literal(UNKNOWN)),
        (days_between(event, base) <= days, literal(PASS)),
        else_=literal(FAIL),
    )


def outcomes(fieldwork_start: Any) -> dict[str, ColumnElement[str]]:
    """Per check, its outcome for a case as a SQL expression (national_standards())."""
    sentence = col(Case.sentence_date)
    release = col(Case.release_date)
    om_days = case(
        (
            sentence.is_not(None) & release.is_not(None),
            case((release < two_years_on(sentence), EIGHT_WEEKS_DAYS), else_=SIXTEEN_WEEKS_DAYS),
        ),
        (col(Case.sentence_type).in_(INDETERMINATE), SIXTEEN_WEEKS_DAYS),
        else_=null(),
    )
    review = col(Case.last_roh_review_date)
    checks = {
        "os_allocated_2_days": _within(
            col(Case.os_allocated_date), col(Case.reception_date), literal(2)
        ),
        "first_contact_10_days": _within(col(Case.first_contact_date), sentence, literal(10)),
        "om_allocated_in_time": _within(col(Case.om_allocated_date), sentence, om_days),
        "sentence_plan_16_weeks": _within(
            col(Case.sentence_plan_date), sentence, literal(SIXTEEN_WEEKS_DAYS)
        ),
        "roh_reviewed_4_months": case(
            (review.is_(None), literal(UNKNOWN)),
            (review >= four_months_back(fieldwork_start), literal(PASS)),
            else_=literal(FAIL),
        ),
    }
    assert tuple(checks) == NS_CHECKS
    return checks


def outcomes_per_inspection(
    matching: Subquery, keys: list[Any], where: list[Any]
) -> CompoundSelect:
    """Rows (g0.., insp, q, v, n, y, f): per group, inspection, check and outcome, the cases,
    the passes and the fails, over the matching inspections' cases."""
    checks = outcomes(matching.c.fs)
    per_case = (
        select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
            *keys,
            col(Case.inspection_id).label("insp"),
            *[expression.label(code) for code, expression in checks.items()],
        )
        .select_from(Case)
        .join(matching, matching.c.id == Case.inspection_id)
        .where(*where)
        .cte("ns_case")
    )
    group = [per_case.c[key.name] for key in keys]
    parts = []
    for code in checks:
        outcome = per_case.c[code]
        parts.append(
            select(  # type: ignore[call-overload]  # sqlmodel types select() for at most four fixed columns
                *group,
                per_case.c.insp,
                literal(code, String).label("q"),
                outcome.label("v"),
                func.count().label("n"),
                func.sum(case((outcome == PASS, 1), else_=0)).label("y"),
                func.sum(case((outcome == FAIL, 1), else_=0)).label("f"),
            ).group_by(*group, per_case.c.insp, outcome)
        )
    return union_all(*parts)
