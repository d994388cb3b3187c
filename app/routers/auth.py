"""Access tokens for people (password grant) and systems (client credentials)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Request

from app.auth.login_throttle import LoginThrottle
from app.auth.security import issue_token
from app.config import get_settings
from app.errors import ValidationFailed, field_error
from app.models.accounts import TokenResponse
from app.services.accounts.login import Attempt, log_in
from app.web.deps import SessionDep

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
_settings = get_settings()
# Its counts live in the database: every process on one database shares the limits.
throttle = LoginThrottle(
    _settings.login_max_failures,
    _settings.login_window_seconds,
    account_max_failures=_settings.login_account_max_failures,
    address_max_failures=_settings.login_address_max_failures,
)


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
    """Exchange credentials for a bearer token (OAuth2 password or client_credentials grant).

    Every attempt, refused or not, is an audit event (who, when, from which address).
    """
    if grant_type == "password":
        _required(username=username, password=password)
        name, secret = username or "", password or ""
    else:
        _required(client_id=client_id, client_secret=client_secret)
        name, secret = client_id or "", client_secret or ""
    address = request.client.host if request.client else "unknown"
    principal = log_in(session, throttle, Attempt(grant_type, name, secret, address))
    access_token, expires_in = issue_token(
        principal.subject, sorted(role.value for role in principal.roles), principal.trust
    )
    return TokenResponse(access_token=access_token, expires_in=expires_in)
