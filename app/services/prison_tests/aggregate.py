"""Healthy prison test scores counted across inspections, by the database (SPEC 15)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Integer, cast, extract, func
from sqlmodel import Session, col, select

from app.models import Establishment, HealthyPrisonTest, Inspection
from app.models.inspection import InspectionStatus
from app.models.prison_tests import (
    PRISON_TEST_LABELS,
    PRISON_TEST_TITLES,
    PrisonTest,
    PrisonTestAggregates,
    PrisonTestCount,
    PrisonTestRow,
)


class PrisonTestGroup(StrEnum):
    establishment = "establishment"
    establishment_type = "establishment_type"
    region = "region"
    inspection = "inspection"
    year = "year"


GROUP_COLUMNS: dict[PrisonTestGroup, Any] = {
    PrisonTestGroup.establishment: lambda: Inspection.establishment_code,
    PrisonTestGroup.establishment_type: lambda: Establishment.type,
    PrisonTestGroup.region: lambda: Establishment.region_code,
    PrisonTestGroup.inspection: lambda: Inspection.id,
    PrisonTestGroup.year: lambda: cast(extract("year", col(Inspection.fieldwork_start)), Integer),
}


@dataclass(frozen=True)
class PrisonTestFilters:
    framework_id: str | None = None
    programme: str | None = None
    inspections: tuple[str, ...] = ()
    establishment: str | None = None
    establishment_type: str | None = None
    region: str | None = None
    start_from: date | None = None
    start_to: date | None = None
    statuses: tuple[InspectionStatus, ...] = ()


def _where(filters: PrisonTestFilters) -> list[Any]:
    where: list[Any] = []
    if filters.statuses:
        where.append(col(Inspection.status).in_(filters.statuses))
    if filters.framework_id:
        where.append(Inspection.framework_id == filters.framework_id)
    if filters.programme:
        where.append(Inspection.programme_code == filters.programme)
    if filters.inspections:
        where.append(col(Inspection.id).in_(filters.inspections))
    if filters.establishment:
        where.append(Inspection.establishment_code == filters.establishment)
    if filters.establishment_type:
        where.append(Establishment.type == filters.establishment_type)
    if filters.region:
        where.append(Establishment.region_code == filters.region)
    if filters.start_from:
        where.append(Inspection.fieldwork_start >= filters.start_from)
    if filters.start_to:
        where.append(Inspection.fieldwork_start <= filters.start_to)
    return where


def _counts(test: PrisonTest, by_score: dict[int, int]) -> PrisonTestCount:
    return PrisonTestCount(
        test=test,
        title=PRISON_TEST_TITLES[test],
        scored=sum(by_score.values()),
        scores={
            str(score): by_score.get(score, 0) for score in sorted(PRISON_TEST_LABELS, reverse=True)
        },
        labels={
            label: by_score.get(score, 0)
            for score, label in sorted(PRISON_TEST_LABELS.items(), reverse=True)
        },
    )


def count_tests(
    session: Session, filters: PrisonTestFilters, group_by: PrisonTestGroup | None
) -> list[PrisonTestRow]:
    """Per group, how many inspections gave each test each score."""
    keyed = [GROUP_COLUMNS[group_by]().label("g")] if group_by else []
    counted: list[Any] = [*keyed, HealthyPrisonTest.test, HealthyPrisonTest.score, func.count()]
    statement = (
        select(*counted)
        .select_from(HealthyPrisonTest)
        .join(Inspection, col(Inspection.id) == HealthyPrisonTest.inspection_id)
        .outerjoin(Establishment, col(Establishment.code) == Inspection.establishment_code)
        .where(*_where(filters))
        .group_by(*keyed, HealthyPrisonTest.test, HealthyPrisonTest.score)
    )
    per_group: list[Any] = [*keyed, func.count(func.distinct(HealthyPrisonTest.inspection_id))]
    inspections_statement = (
        select(*per_group)
        .select_from(HealthyPrisonTest)
        .join(Inspection, col(Inspection.id) == HealthyPrisonTest.inspection_id)
        .outerjoin(Establishment, col(Establishment.code) == Inspection.establishment_code)
        .where(*_where(filters))
        .group_by(*keyed)
    )
    grouped: dict[Any, dict[str, dict[int, int]]] = {}
    for row in session.exec(statement).all():
        key = row[0] if group_by else None
        test, score, count = row[-3:]
        grouped.setdefault(key, {}).setdefault(str(test), {})[int(score)] = int(count)
    found = session.exec(inspections_statement).all()
    # One selected column comes back as plain values, not rows.
    inspections = (
        {row[0]: int(row[-1]) for row in found} if group_by else {None: int(found[0] or 0)}
    )
    if group_by is None and not grouped:
        grouped[None] = {}
    rows = []
    for key in sorted(grouped, key=lambda k: (k is None, str(k))):
        rows.append(
            PrisonTestRow(
                group={} if group_by is None else {group_by.value: key},
                inspections=inspections.get(key, 0),
                tests=[_counts(test, grouped[key].get(test.value, {})) for test in PrisonTest],
            )
        )
    return rows


def counted(
    session: Session, filters: PrisonTestFilters, group_by: PrisonTestGroup | None
) -> PrisonTestAggregates:
    """The aggregate document: the filters as applied and a row per group."""
    described = {
        "framework_id": filters.framework_id,
        "programme": filters.programme,
        "inspection": list(filters.inspections),
        "establishment": filters.establishment,
        "establishment_type": filters.establishment_type,
        "region": filters.region,
        "from": filters.start_from.isoformat() if filters.start_from else None,
        "to": filters.start_to.isoformat() if filters.start_to else None,
        "status": [status.value for status in filters.statuses],
    }
    return PrisonTestAggregates(
        filters=described,
        group_by=group_by.value if group_by else None,
        rows=count_tests(session, filters, group_by),
    )
