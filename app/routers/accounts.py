"""People and service clients (SPEC 13): admin only, every change audited, secrets shown once."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from app.models.accounts import (
    ClientCreate,
    ClientRead,
    ClientUpdate,
    ClientWithSecret,
    UserCreate,
    UserRead,
    UserUpdate,
)
from app.models.page import Page
from app.services.accounts import service as accounts
from app.web.deps import PageDep, ReadAccounts, SessionDep, WriteAccounts
from app.web.openapi_docs import problem_responses
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1", tags=["accounts"])

Username = Annotated[str, Path(max_length=64, description="The user's login name")]
ClientId = Annotated[str, Path(max_length=64, description="The service client's id")]
# A secret is in one answer only: no cache, proxy or browser may keep it.
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/users", operation_id="list_users", response_model=Page[UserRead])
def list_users(session: SessionDep, principal: ReadAccounts, page: PageDep) -> Page[UserRead]:
    """User accounts by username; never a password or its hash."""
    return accounts.list_users(session, limit=page.limit, offset=page.offset)


@router.post(
    "/users",
    operation_id="create_user",
    status_code=201,
    response_model=UserRead,
    responses=problem_responses(409),
)
def create_user(
    payload: UserCreate, session: SessionDep, principal: WriteAccounts, response: Response
) -> UserRead:
    """Create a user with roles (and a trust for the trust role) and a password of 12+ characters."""
    user = accounts.add_user(session, principal, payload)
    response.headers["Location"] = f"/api/v1/users/{user.username}"
    return accounts.user_view(user)


@router.get("/users/{username}", operation_id="get_user", response_model=UserRead)
def get_user(username: Username, session: SessionDep, principal: ReadAccounts) -> UserRead:
    return accounts.user_view(accounts.get_user(session, username))


@router.patch(
    "/users/{username}",
    operation_id="update_user",
    response_model=UserRead,
    responses=problem_responses(409),
)
def update_user(
    username: Username, payload: UserUpdate, session: SessionDep, principal: WriteAccounts
) -> UserRead:
    """Change roles, trust, `disabled` or the password; a disabled user's tokens stop at once."""
    user = accounts.get_user(session, username)
    return accounts.user_view(accounts.change_user(session, principal, user, payload))


@router.get("/clients", operation_id="list_clients", response_model=Page[ClientRead])
def list_clients(session: SessionDep, principal: ReadAccounts, page: PageDep) -> Page[ClientRead]:
    """Service clients by client id; never a secret or its hash."""
    return accounts.list_clients(session, limit=page.limit, offset=page.offset)


@router.post(
    "/clients",
    operation_id="create_client",
    status_code=201,
    response_model=ClientWithSecret,
    responses=problem_responses(409),
)
def create_client(
    payload: ClientCreate, session: SessionDep, principal: WriteAccounts
) -> JSONResponse:
    """Create a service client; the answer holds its generated secret, this once only."""
    created = accounts.add_client(session, principal, payload)
    headers = {**NO_STORE, "Location": f"/api/v1/clients/{created.client_id}"}
    return JSONResponse(jsonable_encoder(created), 201, headers)


@router.get("/clients/{client_id}", operation_id="get_client", response_model=ClientRead)
def get_client(client_id: ClientId, session: SessionDep, principal: ReadAccounts) -> ClientRead:
    return accounts.client_view(accounts.get_client(session, client_id))


@router.patch(
    "/clients/{client_id}",
    operation_id="update_client",
    response_model=ClientRead,
    responses=problem_responses(409),
)
def update_client(
    client_id: ClientId, payload: ClientUpdate, session: SessionDep, principal: WriteAccounts
) -> ClientRead:
    """Change roles, trust or `disabled`; a disabled client's tokens stop at once."""
    client = accounts.get_client(session, client_id)
    return accounts.client_view(accounts.change_client(session, principal, client, payload))


@router.post(
    "/clients/{client_id}/secret",
    operation_id="rotate_client_secret",
    response_model=ClientWithSecret,
)
def rotate_client_secret(
    client_id: ClientId, session: SessionDep, principal: WriteAccounts
) -> JSONResponse:
    """Issue a new secret, answered this once; the old secret stops working."""
    client = accounts.get_client(session, client_id)
    rotated = accounts.rotate_secret(session, principal, client)
    return JSONResponse(jsonable_encoder(rotated), 200, NO_STORE)
