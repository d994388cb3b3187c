"""Loads the reference data shipped in app/reference, idempotently."""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml
from sqlmodel import Session, SQLModel, select

from app.models import Establishment, Programme, Region, Trust
from app.models.reference import AreaKind
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


def area_rows() -> list[dict[str, Any]]:
    """The probation areas of every era: 42 NOMS areas, 35 trust areas, 12 regions."""
    trusts = read_reference("probation-trusts-2011.yaml")["trusts"]
    eras = read_reference("probation-areas.yaml")

    def rows(
        areas: list[dict[str, Any]], kind: AreaKind, era: dict[str, Any]
    ) -> list[dict[str, Any]]:
        return [
            {
                "code": area["code"],
                "name": area["name"],
                "region_code": area["region"],
                "kind": kind,
                "valid_from": era["valid_from"],
                "valid_to": era["valid_to"],
            }
            for area in areas
        ]

    return (
        rows(eras["noms_areas"]["areas"], AreaKind.noms_area, eras["noms_areas"])
        + rows(trusts, AreaKind.trust, eras["trusts"])
        + rows(eras["probation_regions"]["areas"], AreaKind.region, eras["probation_regions"])
    )


def establishment_rows() -> list[dict[str, Any]]:
    """Every prison and young offender institution of England and Wales from 2006 on."""
    return [
        {
            "code": e["code"],
            "name": e["name"],
            "nomis_code": e["nomis_code"],
            "type": e["type"],
            "region_code": e["region"],
            "closed_on": e["closed_on"],
        }
        for e in read_reference("establishments.yaml")["establishments"]
    ]


def load_reference_data(session: Session) -> dict[str, int]:
    """Programmes, regions, probation areas, establishments and the built-in frameworks."""
    counts = {
        "regions": _upsert(
            session, Region, read_reference("probation-trusts-2011.yaml")["regions"]
        ),
        "trusts": _upsert(session, Trust, area_rows()),
        "establishments": _upsert(session, Establishment, establishment_rows()),
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
