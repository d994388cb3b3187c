"""Readable labels and a sensible order for the groups of an aggregate table."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from app.models import Establishment, Inspection, Region, Trust
from app.services.aggregates.queries import GroupBy

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


def labelled_keys(
    session: Session, group_by: GroupBy | None, keys: Iterable[Any]
) -> list[tuple[Any, str | None]]:
    """The group keys in display order, each with its label; an empty key sorts last."""
    keys = set(keys)
    if group_by is None:
        return [(key, None) for key in keys]
    present = {key for key in keys if key is not None}
    if group_by is GroupBy.inspection:
        found = _inspection_labels(session, present)
        order = {key: found[key][0] if key in found else (None, key) for key in present}
        labels = {key: found[key][1] if key in found else str(key) for key in present}
    elif group_by in NAMED:
        labels = {key: str(key) for key in present}
        labels.update(_names(session, NAMED[group_by], present))
        order = {key: (labels[key].lower(), key) for key in present}
    else:
        labels = {key: str(key) for key in present}
        order = {key: key for key in present}
    result: list[tuple[Any, str | None]] = [
        (key, labels[key]) for key in sorted(present, key=lambda key: order[key])
    ]
    if None in keys:
        result.append((None, NO_ESTABLISHMENT if group_by is GroupBy.establishment else None))
    return result
