"""Readable labels and a sensible order for the groups of an aggregate table."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlmodel import Session, col, select

from app.models import Establishment, Inspection, Region, Trust
from app.models.case import OsGrade, Rosh, SentenceType, Sex
from app.services.aggregates.queries import GroupBy
from app.services.cases.facets import AGE_BANDS

NAMED: dict[GroupBy, Any] = {
    GroupBy.establishment: Establishment,
    GroupBy.region: Region,
    GroupBy.trust: Trust,
}
NO_ESTABLISHMENT = "Community inspections (no establishment)"


def _names(session: Session, model: Any, codes: set[Any]) -> dict[Any, str]:
    rows = session.exec(select(model.code, model.name).where(col(model.code).in_(codes))).all()
    return dict(rows)


def _inspection_labels(session: Session, ids: set[Any]) -> dict[Any, tuple[Any, str]]:
    """Per inspection: its sort key (fieldwork start, id) and 'subject, fieldwork from date'."""
    rows = session.exec(
        select(
            col(Inspection.id),
            col(Inspection.fieldwork_start),
            col(Inspection.establishment_code),
            col(Inspection.trust_code),
        ).where(col(Inspection.id).in_(ids))
    ).all()
    establishments = _names(session, Establishment, {r[2] for r in rows if r[2]})
    trusts = _names(session, Trust, {r[3] for r in rows if r[3]})
    labels = {}
    for inspection_id, start, establishment, trust in rows:
        subject = establishments.get(establishment) or trusts.get(trust) or inspection_id
        labels[inspection_id] = ((start, inspection_id), f"{subject}, fieldwork from {start}")
    return labels


IN_SCOPE_LABELS = {True: "In scope", False: "Out of scope"}
NOT_RECORDED = "Not recorded"
# Dimensions of the case whose values have a natural order (SPEC 2.1).
VALUE_ORDER: dict[GroupBy, list[Any]] = {
    GroupBy.rosh: list(Rosh),
    GroupBy.os_grade: list(OsGrade),
    GroupBy.sex: list(Sex),
    GroupBy.sentence_type: list(SentenceType),
    GroupBy.age_band: [label for label, _ in AGE_BANDS],
    GroupBy.in_scope: [True, False],
}


def _dimension_labels(
    session: Session, dimension: GroupBy, present: set[Any]
) -> tuple[dict[Any, str], dict[Any, Any]]:
    """Labels and sort keys of a dimension's values that are not empty."""
    if dimension is GroupBy.inspection:
        found = _inspection_labels(session, present)
        order = {key: found[key][0] if key in found else (None, key) for key in present}
        labels = {key: found[key][1] if key in found else str(key) for key in present}
    elif dimension in NAMED:
        labels = {key: str(key) for key in present}
        labels.update(_names(session, NAMED[dimension], present))
        order = {key: (labels[key].lower(), key) for key in present}
    elif dimension in VALUE_ORDER:
        known = VALUE_ORDER[dimension]
        labels = {
            key: IN_SCOPE_LABELS[key] if dimension is GroupBy.in_scope else str(key)
            for key in present
        }
        order = {
            key: (known.index(key) if key in known else len(known), str(key)) for key in present
        }
    else:
        labels = {key: str(key) for key in present}
        order = {key: key for key in present}
    return labels, order


def _empty_label(dimension: GroupBy) -> str | None:
    if dimension is GroupBy.establishment:
        return NO_ESTABLISHMENT
    return NOT_RECORDED if dimension in VALUE_ORDER else None


def labelled_keys(
    session: Session, dimensions: Sequence[GroupBy], keys: Iterable[tuple[Any, ...]]
) -> list[tuple[tuple[Any, ...], str | None]]:
    """The group keys in display order, each with its label; an empty value sorts last.

    A key has one value per dimension; with two dimensions the label joins the two."""
    keys = set(keys)
    if not dimensions:
        return [(key, None) for key in keys]
    per_dimension = [
        _dimension_labels(session, dimension, {key[i] for key in keys if key[i] is not None})
        for i, dimension in enumerate(dimensions)
    ]

    def sort_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(
            (1, 0) if value is None else (0, per_dimension[i][1][value])
            for i, value in enumerate(key)
        )

    def label(key: tuple[Any, ...]) -> str | None:
        parts = [
            _empty_label(dimensions[i]) if value is None else per_dimension[i][0][value]
            for i, value in enumerate(key)
        ]
        if len(parts) == 1:
            return parts[0]
        return ", ".join(part or NOT_RECORDED for part in parts)

    return [(key, label(key)) for key in sorted(keys, key=sort_key)]
