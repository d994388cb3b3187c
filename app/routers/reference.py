"""Reference data: programmes, establishments, trusts and regions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from app.models import Establishment, Programme, Region, Trust
from app.models.page import Page
from app.services.reference.loader import list_all
from app.web.deps import PageDep, Pagination, ReadReference, SessionDep
from app.web.http import json_small_page

router = APIRouter(prefix="/api/v1", tags=["reference data"])


class ProgrammeRead(BaseModel):
    code: str
    title: str
    kind: str
    started_on: date
    description: str
    letter_threshold: int
    default_framework: str | None


class EstablishmentRead(BaseModel):
    code: str
    name: str
    type: str
    region: str


class TrustRead(BaseModel):
    code: str
    name: str
    region: str


class RegionRead(BaseModel):
    code: str
    name: str


def _listing(request: Request, items: Sequence[BaseModel], page: Pagination) -> Response:
    return json_small_page(request, items, page.limit, page.offset)


@router.get("/programmes", operation_id="list_programmes", response_model=Page[ProgrammeRead])
def programmes(request: Request, session: SessionDep, _: ReadReference, page: PageDep) -> Response:
    """Inspection programmes, with their letter thresholds and default frameworks."""
    rows = list_all(session, Programme)
    return _listing(
        request, [ProgrammeRead.model_validate(row, from_attributes=True) for row in rows], page
    )


@router.get(
    "/establishments", operation_id="list_establishments", response_model=Page[EstablishmentRead]
)
def establishments(
    request: Request, session: SessionDep, _: ReadReference, page: PageDep
) -> Response:
    """Prisons, with their type and NOMS region."""
    rows = list_all(session, Establishment)
    items = [
        EstablishmentRead(code=r.code, name=r.name, type=r.type, region=r.region_code) for r in rows
    ]
    return _listing(request, items, page)


@router.get("/trusts", operation_id="list_trusts", response_model=Page[TrustRead])
def trusts(request: Request, session: SessionDep, _: ReadReference, page: PageDep) -> Response:
    """Probation trusts, with their NOMS region."""
    rows = list_all(session, Trust)
    return _listing(
        request, [TrustRead(code=r.code, name=r.name, region=r.region_code) for r in rows], page
    )


@router.get("/regions", operation_id="list_regions", response_model=Page[RegionRead])
def regions(request: Request, session: SessionDep, _: ReadReference, page: PageDep) -> Response:
    """NOMS regions."""
    rows = list_all(session, Region)
    return _listing(request, [RegionRead(code=r.code, name=r.name) for r in rows], page)
