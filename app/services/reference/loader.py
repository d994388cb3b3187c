"""Loads the reference data shipped in app/reference, idempotently."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml
from sqlmodel import Session, SQLModel, select

from app.models import Establishment, Programme, Region, Trust
from app.services.frameworks import service as frameworks

BUILT_IN_FRAMEWORKS = (
    "omi-custody-2011",
    "probation-case-assessment-2019",
    "omic-thematic-2021",
)
SYSTEM_ACTOR = "system:reference-data"


def read_reference(name: str) -> Any:
    return yaml.safe_load(resources.files("app.reference").joinpath(name).read_text("utf-8"))


def _upsert(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> int:
    changed = 0
    for row in rows:
        current = session.get(model, row["code"])
        if current is None:
            session.add(model(**row))
            changed += 1
            continue
        updates = {key: value for key, value in row.items() if getattr(current, key) != value}
        if updates:
            for key, value in updates.items():
                setattr(current, key, value)
            session.add(current)
            changed += 1
    session.flush()
    return changed


def load_reference_data(session: Session) -> dict[str, int]:
    """Programmes, regions, trusts, establishments and the built-in frameworks."""
    trusts = read_reference("probation-trusts-2011.yaml")
    establishments = read_reference("establishments-2011.yaml")["establishments"]
    counts = {
        "regions": _upsert(session, Region, trusts["regions"]),
        "trusts": _upsert(
            session,
            Trust,
            [
                {"code": t["code"], "name": t["name"], "region_code": t["region"]}
                for t in trusts["trusts"]
            ],
        ),
        "establishments": _upsert(
            session,
            Establishment,
            [
                {
                    "code": e["code"],
                    "name": e["name"],
                    "type": e["type"],
                    "region_code": e["region"],
                }
                for e in establishments
            ],
        ),
        "programmes": _upsert(session, Programme, read_reference("programmes.yaml")["programmes"]),
        "frameworks": 0,
    }
    for code in BUILT_IN_FRAMEWORKS:
        before = frameworks.latest(session, code)
        framework, _ = frameworks.store(session, read_reference(f"{code}.yaml"), SYSTEM_ACTOR)
        if before is None or before.checksum != framework.checksum or before.id != framework.id:
            counts["frameworks"] += 1
    return counts


def list_all(session: Session, model: type[SQLModel]) -> list[Any]:
    return list(session.exec(select(model).order_by(model.code)).all())  # type: ignore[attr-defined]
