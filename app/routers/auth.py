"""Access tokens for people (password grant) and systems (client credentials)."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated
from urllib.parse import unquote_plus

from fastapi import Form, Request, Response

from app.auth.login_throttle import LoginThrottle
from app.auth.security import issue_token
from app.config import get_settings
from app.errors import OAuthError, Unauthorized, field_error
from app.models.accounts import TokenResponse
from app.services.accounts.login import Attempt, GrantType, log_in
from app.web.deps import SessionDep
from app.web.openapi_docs import Problem, Responses, TokenProblem
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/api/v1/auth", tags=["auth"])
_settings = get_settings()
# Its counts live in the database: every process on one database shares the limits.
throttle = LoginThrottle(
    _settings.login_max_failures,
    _settings.login_window_seconds,
    account_max_failures=_settings.login_account_max_failures,
    address_max_failures=_settings.login_address_max_failures,
)


GRANT_TYPES = ("password", "client_credentials")
LIMITS = {"username": 64, "client_id": 64, "password": 1024, "client_secret": 1024, "scope": 1024}


def _required(**fields: str | None) -> None:
    missing = [name for name, value in fields.items() if not value]
    if missing:
        raise OAuthError(
            "invalid_request",
            f"missing form field(s): {', '.join(missing)}",
            errors=[field_error(["body", name], "missing", "field required") for name in missing],
        )


def _within_limits(**fields: str | None) -> None:
    long = [name for name, value in fields.items() if value and len(value) > LIMITS[name]]
    if long:
        raise OAuthError(
            "invalid_request",
            f"form field(s) too long: {', '.join(long)}",
            errors=[
                field_error(["body", name], "too_long", f"at most {LIMITS[name]} characters")
                for name in long
            ],
        )


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """Client credentials sent as HTTP Basic (RFC 6749 section 2.3.1), as Swagger UI does."""
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise OAuthError(
            "invalid_client", "the Basic credentials are not valid", basic_challenge=True
        ) from None
    client_id, separator, client_secret = decoded.partition(":")
    if not separator:
        raise OAuthError(
            "invalid_client", "the Basic credentials are not valid", basic_challenge=True
        )
    return unquote_plus(client_id), unquote_plus(client_secret)


TOKEN_ERRORS: Responses = {
    400: {
        "description": "invalid_request or unsupported_grant_type (RFC 6749 section 5.2)",
        "model": TokenProblem,
    },
    401: {"description": "invalid_grant (a person's) or invalid_client", "model": TokenProblem},
    429: {"description": "Too many failures; retry after Retry-After seconds", "model": Problem},
}


@router.post(
    "/token",
    operation_id="issue_token",
    response_model=TokenResponse,
    responses=TOKEN_ERRORS,
)
def token(
    request: Request,
    session: SessionDep,
    grant_type: Annotated[str | None, Form(description="password or client_credentials")] = None,
    username: Annotated[str | None, Form()] = None,
    password: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    scope: Annotated[str | None, Form(description="Ignored: roles come from the account")] = None,
) -> Response:
    """Exchange credentials for a bearer token (OAuth2 password or client_credentials grant).

    Errors carry OAuth2's `error` and `error_description` in a problem document. Systems may
    send their credentials in the form or as HTTP Basic. Every attempt, refused or not, is
    an audit event (who, when, from which address).
    """
    _required(grant_type=grant_type)
    if grant_type not in GRANT_TYPES:
        raise OAuthError(
            "unsupported_grant_type", "grant_type must be password or client_credentials"
        )
    _within_limits(
        username=username,
        password=password,
        client_id=client_id,
        client_secret=client_secret,
        scope=scope,
    )
    basic = None
    if grant_type == "password":
        _required(username=username, password=password)
        name, secret = username or "", password or ""
    else:
        basic = _basic_credentials(request)
        if basic and (client_id or client_secret):
            raise OAuthError(
                "invalid_request", "send client credentials as HTTP Basic or in the form, not both"
            )
        if basic:
            client_id, client_secret = basic
            _within_limits(client_id=client_id, client_secret=client_secret)
        else:
            _required(client_id=client_id, client_secret=client_secret)
        name, secret = client_id or "", client_secret or ""
    address = request.client.host if request.client else "unknown"
    grant: GrantType = "password" if grant_type == "password" else "client_credentials"
    try:
        principal = log_in(session, throttle, Attempt(grant, name, secret, address))
    except Unauthorized as exc:
        error = "invalid_grant" if grant_type == "password" else "invalid_client"
        raise OAuthError(
            error, "the credentials are not valid", basic_challenge=bool(basic)
        ) from exc
    access_token, expires_in = issue_token(
        principal.subject, sorted(role.value for role in principal.roles), principal.trust
    )
    body = TokenResponse(access_token=access_token, expires_in=expires_in)
    # RFC 6749 section 5.1: responses holding tokens are never cached.
    return Response(
        body.model_dump_json(),
        media_type="application/json",
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
