"""Reference data an admin writes: establishments, probation areas and NOMS regions.

Codes never change; every change is audited. Probation-area eras: an area is valid on a
date when the date lies within its validity (an open end is no bound).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.auth.permissions import Principal
from app.errors import Conflict, NotFound, ValidationFailed, field_error
from app.models import Establishment, Region, Trust
from app.models.reference import (
    AreaKind,
    EstablishmentCreate,
    EstablishmentRead,
    EstablishmentUpdate,
    RegionCreate,
    RegionRead,
    RegionUpdate,
    TrustCreate,
    TrustRead,
    TrustUpdate,
)
from app.rules.areas import AreaBook, AreaSpan
from app.services.audit import service as audit


def establishment_read(row: Establishment) -> EstablishmentRead:
    return EstablishmentRead(
        code=row.code,
        name=row.name,
        nomis_code=row.nomis_code,
        type=row.type,
        region=row.region_code,
        closed_on=row.closed_on,
    )


def trust_read(row: Trust) -> TrustRead:
    return TrustRead(
        code=row.code,
        name=row.name,
        region=row.region_code,
        kind=row.kind,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
    )


def region_read(row: Region) -> RegionRead:
    return RegionRead(code=row.code, name=row.name)


# ---- reading --------------------------------------------------------------------------


def establishments(session: Session) -> list[Establishment]:
    return list(session.exec(select(Establishment).order_by(col(Establishment.code))).all())


def trusts(
    session: Session, kind: AreaKind | None = None, valid_on: date | None = None
) -> list[Trust]:
    query = select(Trust).order_by(col(Trust.code))
    if kind is not None:
        query = query.where(Trust.kind == kind)
    if valid_on is not None:
        query = query.where(
            (col(Trust.valid_from).is_(None)) | (col(Trust.valid_from) <= valid_on),
            (col(Trust.valid_to).is_(None)) | (col(Trust.valid_to) >= valid_on),
        )
    return list(session.exec(query).all())


def regions(session: Session) -> list[Region]:
    return list(session.exec(select(Region).order_by(col(Region.code))).all())


def get_establishment(session: Session, code: str) -> Establishment:
    row = session.get(Establishment, code)
    if row is None:
        raise NotFound("no such establishment")
    return row


def get_trust(session: Session, code: str) -> Trust:
    row = session.get(Trust, code)
    if row is None:
        raise NotFound("no such probation area")
    return row


def get_region(session: Session, code: str) -> Region:
    row = session.get(Region, code)
    if row is None:
        raise NotFound("no such region")
    return row


def area_book(session: Session, on: date | None) -> AreaBook:
    """Every probation area's code and validity, judged on one date (None: any date)."""
    rows = session.exec(select(Trust)).all()
    return AreaBook(
        {row.code: AreaSpan(AreaKind(row.kind), row.valid_from, row.valid_to) for row in rows}, on
    )


# ---- checks ---------------------------------------------------------------------------


def _region_exists(session: Session, code: str) -> None:
    if session.get(Region, code) is None:
        raise ValidationFailed(
            f"unknown region {code!r}",
            errors=[field_error(["body", "region"], "unknown_region", f"unknown region {code!r}")],
        )


def _nomis_free(session: Session, nomis_code: str | None, code: str) -> None:
    if nomis_code is None:
        return
    holder = session.exec(
        select(Establishment.code).where(Establishment.nomis_code == nomis_code)
    ).first()
    if holder is not None and holder != code:
        raise Conflict(f"NOMIS code {nomis_code} already belongs to {holder}")


def _span_ordered(valid_from: date | None, valid_to: date | None) -> None:
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise ValidationFailed(
            "valid_to is before valid_from",
            errors=[
                field_error(["body", "valid_to"], "before_start", "valid_to is before valid_from")
            ],
        )


def _taken(session: Session, model: type[Any], code: str, what: str) -> None:
    if session.get(model, code) is not None:
        raise Conflict(f"{what} {code!r} exists already; codes never change, PATCH it instead")


# ---- writing --------------------------------------------------------------------------


def create_establishment(
    session: Session, principal: Principal, payload: EstablishmentCreate
) -> Establishment:
    _taken(session, Establishment, payload.code, "establishment")
    _region_exists(session, payload.region)
    _nomis_free(session, payload.nomis_code, payload.code)
    row = Establishment(
        code=payload.code,
        name=payload.name,
        nomis_code=payload.nomis_code,
        type=payload.type,
        region_code=payload.region,
        closed_on=payload.closed_on,
    )
    session.add(row)
    session.flush()
    audit.record(
        session, principal, "establishment.created", "establishment", row.code, None,
        audit.snapshot(row),
    )  # fmt: skip
    return row


def update_establishment(
    session: Session, principal: Principal, row: Establishment, payload: EstablishmentUpdate
) -> Establishment:
    changes = payload.model_dump(exclude_unset=True)
    if "region" in changes:
        if changes["region"] is None:
            raise ValidationFailed(
                "an establishment needs a region",
                errors=[field_error(["body", "region"], "required", "region may not be null")],
            )
        _region_exists(session, changes["region"])
        changes["region_code"] = changes.pop("region")
    if "name" in changes and changes["name"] is None:
        raise ValidationFailed(
            "an establishment needs a name",
            errors=[field_error(["body", "name"], "required", "name may not be null")],
        )
    if "nomis_code" in changes and changes["nomis_code"] != row.nomis_code:
        if row.nomis_code is not None:
            raise ValidationFailed(
                "codes never change",
                errors=[
                    field_error(
                        ["body", "nomis_code"],
                        "immutable",
                        f"{row.code} has NOMIS code {row.nomis_code}; codes never change",
                    )
                ],
            )
        _nomis_free(session, changes["nomis_code"], row.code)
    return _apply(session, principal, row, changes, "establishment")


def create_trust(session: Session, principal: Principal, payload: TrustCreate) -> Trust:
    _taken(session, Trust, payload.code, "probation area")
    _region_exists(session, payload.region)
    _span_ordered(payload.valid_from, payload.valid_to)
    row = Trust(
        code=payload.code,
        name=payload.name,
        region_code=payload.region,
        kind=payload.kind,
        valid_from=payload.valid_from,
        valid_to=payload.valid_to,
    )
    session.add(row)
    session.flush()
    audit.record(session, principal, "trust.created", "trust", row.code, None, audit.snapshot(row))
    return row


def update_trust(session: Session, principal: Principal, row: Trust, payload: TrustUpdate) -> Trust:
    changes = payload.model_dump(exclude_unset=True)
    for required in ("name", "region", "kind"):
        if required in changes and changes[required] is None:
            raise ValidationFailed(
                f"{required} may not be null",
                errors=[field_error(["body", required], "required", f"{required} may not be null")],
            )
    if "region" in changes:
        _region_exists(session, changes["region"])
        changes["region_code"] = changes.pop("region")
    _span_ordered(changes.get("valid_from", row.valid_from), changes.get("valid_to", row.valid_to))
    return _apply(session, principal, row, changes, "trust")


def create_region(session: Session, principal: Principal, payload: RegionCreate) -> Region:
    _taken(session, Region, payload.code, "region")
    row = Region(code=payload.code, name=payload.name)
    session.add(row)
    session.flush()
    audit.record(
        session, principal, "region.created", "region", row.code, None, audit.snapshot(row)
    )
    return row


def update_region(
    session: Session, principal: Principal, row: Region, payload: RegionUpdate
) -> Region:
    return _apply(session, principal, row, payload.model_dump(exclude_unset=True), "region")


def _apply(
    session: Session, principal: Principal, row: Any, changes: dict[str, Any], kind: str
) -> Any:
    before = audit.snapshot(row)
    for key, value in changes.items():
        setattr(row, key, value)
    after = audit.snapshot(row)
    if after != before:
        session.add(row)
        session.flush()
        audit.record(session, principal, f"{kind}.updated", kind, row.code, before, after)
    return row
