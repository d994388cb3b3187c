"""Reference data: programmes, establishments, probation areas and regions (SPEC 12)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

from fastapi import Path, Query, Request, Response
from pydantic import BaseModel

from app.models import Programme
from app.models.page import Page
from app.models.reference import (
    AreaKind,
    EstablishmentCreate,
    EstablishmentRead,
    EstablishmentUpdate,
    ProgrammeRead,
    RegionCreate,
    RegionRead,
    RegionUpdate,
    TrustCreate,
    TrustRead,
    TrustUpdate,
)
from app.services.reference import service as reference
from app.services.reference.loader import list_all
from app.web.deps import PageDep, Pagination, ReadReference, SessionDep, WriteReference
from app.web.http import json_small_page, json_with_etag, require_match
from app.web.idempotency import IdempotencyDep
from app.web.openapi_docs import problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1", tags=["reference data"])
EstablishmentCode = Annotated[
    str, Path(max_length=64, description="The establishment's code; it never changes")
]
AreaCode = Annotated[str, Path(max_length=64, description="The area's code; it never changes")]
RegionCode = Annotated[str, Path(max_length=64, description="The region's code; it never changes")]


def _listing(request: Request, items: Sequence[BaseModel], page: Pagination) -> Response:
    return json_small_page(request, items, page.limit, page.offset)


@router.get("/programmes", operation_id="list_programmes", response_model=Page[ProgrammeRead])
def programmes(request: Request, session: SessionDep, _: ReadReference, page: PageDep) -> Response:
    """Inspection programmes, with their letter thresholds and default frameworks."""
    rows = list_all(session, Programme)
    return _listing(
        request, [ProgrammeRead.model_validate(row, from_attributes=True) for row in rows], page
    )


# ---- establishments ---------------------------------------------------------------------


@router.get(
    "/establishments", operation_id="list_establishments", response_model=Page[EstablishmentRead]
)
def establishments(
    request: Request, session: SessionDep, _: ReadReference, page: PageDep
) -> Response:
    """Every prison and young offender institution from 2006 on, open and closed."""
    rows = reference.establishments(session)
    return _listing(request, [reference.establishment_read(r) for r in rows], page)


@router.get(
    "/establishments/{establishment_code}",
    operation_id="get_establishment",
    response_model=EstablishmentRead,
)
def get_establishment(
    establishment_code: EstablishmentCode, request: Request, session: SessionDep, _: ReadReference
) -> Response:
    """One establishment."""
    row = reference.get_establishment(session, establishment_code)
    return json_with_etag(request, reference.establishment_read(row))


@router.post(
    "/establishments",
    operation_id="create_establishment",
    status_code=201,
    response_model=EstablishmentRead,
    responses=problem_responses(409),
)
def create_establishment(
    payload: EstablishmentCreate,
    session: SessionDep,
    principal: WriteReference,
    idempotency: IdempotencyDep,
) -> Response:
    """Add an establishment (admin); its code is fixed for ever."""
    return idempotency.create(
        session,
        principal,
        lambda: reference.establishment_read(
            reference.create_establishment(session, principal, payload)
        ),
        lambda created: f"/api/v1/establishments/{created.code}",
    )


@router.patch(
    "/establishments/{establishment_code}",
    operation_id="update_establishment",
    response_model=EstablishmentRead,
    responses=problem_responses(409, 412),
)
def update_establishment(
    establishment_code: EstablishmentCode,
    payload: EstablishmentUpdate,
    request: Request,
    session: SessionDep,
    principal: WriteReference,
) -> Response:
    """Change name, type, region, closed_on or a missing NOMIS code (admin; honours If-Match)."""
    row = reference.get_establishment(session, establishment_code)
    require_match(request, reference.establishment_read(row))
    reference.update_establishment(session, principal, row, payload)
    return json_with_etag(request, reference.establishment_read(row))


# ---- probation areas --------------------------------------------------------------------


@router.get("/trusts", operation_id="list_trusts", response_model=Page[TrustRead])
def trusts(
    request: Request,
    session: SessionDep,
    _: ReadReference,
    page: PageDep,
    kind: AreaKind | None = None,
    valid_on: Annotated[date | None, Query(description="Only the areas valid on this date")] = None,
) -> Response:
    """Probation areas of every era (NOMS areas, trust areas, regions), with their validity."""
    rows = reference.trusts(session, kind, valid_on)
    return _listing(request, [reference.trust_read(r) for r in rows], page)


@router.get("/trusts/{trust_code}", operation_id="get_trust", response_model=TrustRead)
def get_trust(
    trust_code: AreaCode, request: Request, session: SessionDep, _: ReadReference
) -> Response:
    """One probation area."""
    return json_with_etag(request, reference.trust_read(reference.get_trust(session, trust_code)))


@router.post(
    "/trusts",
    operation_id="create_trust",
    status_code=201,
    response_model=TrustRead,
    responses=problem_responses(409),
)
def create_trust(
    payload: TrustCreate,
    session: SessionDep,
    principal: WriteReference,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a probation area of any kind (admin); its code is fixed for ever."""
    return idempotency.create(
        session,
        principal,
        lambda: reference.trust_read(reference.create_trust(session, principal, payload)),
        lambda created: f"/api/v1/trusts/{created.code}",
    )


@router.patch(
    "/trusts/{trust_code}",
    operation_id="update_trust",
    response_model=TrustRead,
    responses=problem_responses(412),
)
def update_trust(
    trust_code: AreaCode,
    payload: TrustUpdate,
    request: Request,
    session: SessionDep,
    principal: WriteReference,
) -> Response:
    """Change name, region, kind or validity (admin; honours If-Match)."""
    row = reference.get_trust(session, trust_code)
    require_match(request, reference.trust_read(row))
    reference.update_trust(session, principal, row, payload)
    return json_with_etag(request, reference.trust_read(row))


# ---- regions ----------------------------------------------------------------------------


@router.get("/regions", operation_id="list_regions", response_model=Page[RegionRead])
def regions(request: Request, session: SessionDep, _: ReadReference, page: PageDep) -> Response:
    """NOMS regions."""
    rows = reference.regions(session)
    return _listing(request, [reference.region_read(r) for r in rows], page)


@router.get("/regions/{region_code}", operation_id="get_region", response_model=RegionRead)
def get_region(
    region_code: RegionCode, request: Request, session: SessionDep, _: ReadReference
) -> Response:
    """One NOMS region."""
    return json_with_etag(
        request, reference.region_read(reference.get_region(session, region_code))
    )


@router.post(
    "/regions",
    operation_id="create_region",
    status_code=201,
    response_model=RegionRead,
    responses=problem_responses(409),
)
def create_region(
    payload: RegionCreate,
    session: SessionDep,
    principal: WriteReference,
    idempotency: IdempotencyDep,
) -> Response:
    """Add a NOMS region (admin); its code is fixed for ever."""
    return idempotency.create(
        session,
        principal,
        lambda: reference.region_read(reference.create_region(session, principal, payload)),
        lambda created: f"/api/v1/regions/{created.code}",
    )


@router.patch(
    "/regions/{region_code}",
    operation_id="update_region",
    response_model=RegionRead,
    responses=problem_responses(412),
)
def update_region(
    region_code: RegionCode,
    payload: RegionUpdate,
    request: Request,
    session: SessionDep,
    principal: WriteReference,
) -> Response:
    """Rename a NOMS region (admin; honours If-Match)."""
    row = reference.get_region(session, region_code)
    require_match(request, reference.region_read(row))
    reference.update_region(session, principal, row, payload)
    return json_with_etag(request, reference.region_read(row))
