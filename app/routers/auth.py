"""Access tokens for people (password grant) and systems (client credentials)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request

from app.auth.accounts import (
    authenticate_client,
    authenticate_user,
    principal_for_client,
    principal_for_user,
)
from app.auth.login_throttle import LoginThrottle
from app.auth.security import issue_token
from app.config import get_settings
from app.errors import TooManyRequests, Unauthorized, ValidationFailed, field_error
from app.models.accounts import TokenResponse
from app.web.deps import SessionDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
_settings = get_settings()
throttle = LoginThrottle(_settings.login_max_failures, _settings.login_window_seconds)


def _required(**fields: str | None) -> None:
    missing = [name for name, value in fields.items() if not value]
    if missing:
        raise ValidationFailed(
            "missing form fields",
            errors=[field_error(["body", name], "missing", "field required") for name in missing],
        )


@router.post(
    "/token",
    operation_id="issue_token",
    response_model=TokenResponse,
    responses={401: {"description": "Bad credentials"}, 429: {"description": "Too many failures"}},
)
def token(
    request: Request,
    session: SessionDep,
    grant_type: Annotated[Literal["password", "client_credentials"], Form()],
    username: Annotated[str | None, Form(max_length=64)] = None,
    password: Annotated[str | None, Form(max_length=1024)] = None,
    client_id: Annotated[str | None, Form(max_length=64)] = None,
    client_secret: Annotated[str | None, Form(max_length=1024)] = None,
    scope: Annotated[str | None, Form(max_length=1024)] = None,
) -> TokenResponse:
    """Exchange credentials for a bearer token (OAuth2 password or client_credentials grant)."""
    if grant_type == "password":
        _required(username=username, password=password)
        name = f"user:{username}"
    else:
        _required(client_id=client_id, client_secret=client_secret)
        name = f"client:{client_id}"
    address = f"addr:{request.client.host if request.client else 'unknown'}"
    wait, attempt = throttle.admit(name, address)
    if wait:
        raise TooManyRequests("too many failed attempts; try again later", retry_after=wait)

    try:
        if grant_type == "password":
            user = authenticate_user(session, username or "", password or "")
            principal = principal_for_user(user) if user else None
        else:
            client = authenticate_client(session, client_id or "", client_secret or "")
            principal = principal_for_client(client) if client else None
    except Exception:
        # The check never ran (the database failed, say): not a failed guess.
        throttle.withdraw(attempt, name, address)
        raise
    if principal is None:
        raise Unauthorized("the credentials are not valid")
    throttle.withdraw(attempt, address)
    throttle.reset(name)
    access_token, expires_in = issue_token(
        principal.subject, sorted(role.value for role in principal.roles), principal.trust
    )
    return TokenResponse(access_token=access_token, expires_in=expires_in)
