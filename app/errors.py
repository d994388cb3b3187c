"""Domain errors and their rendering as RFC 9457 problem documents."""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_MEDIA_TYPE = "application/problem+json"


class AppError(Exception):
    """An expected failure with a status, a stable type slug and a human detail."""

    status = 500
    slug = "internal-error"
    title = "Internal server error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra

    def to_problem(self, instance: str | None = None) -> dict[str, Any]:
        return problem(
            self.status,
            self.slug,
            self.title,
            self.detail,
            instance,
            errors=self.errors,
            **self.extra,
        )


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    body.update({key: value for key, value in extra.items() if value is not None})
    return body


class BadRequest(AppError):
    status, slug, title = 400, "bad-request", "Bad request"


class Unauthorized(AppError):
    status, slug, title = 401, "unauthorized", "Not authenticated"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):
    status, slug, title = 403, "forbidden", "Forbidden"


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Not found"


class NotAcceptable(AppError):
    status, slug, title = 406, "not-acceptable", "Not acceptable"


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflict"


class PreconditionFailed(AppError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class UnsupportedMediaType(AppError):
    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(AppError):
    status, slug, title = 422, "validation-failed", "Validation failed"


class TooManyRequests(AppError):
    status, slug, title = 429, "too-many-requests", "Too many requests"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(AppError):
    status, slug, title = 503, "service-unavailable", "Service unavailable"

    def __init__(self, detail: str, retry_after: int = 5) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class OAuthError(AppError):
    """A token endpoint error (RFC 6749 section 5.2) that is also an RFC 9457 problem: the
    problem members beside OAuth2's `error` and `error_description` (docs/decisions.md)."""

    STATUS: ClassVar[dict[str, int]] = {
        "invalid_request": 400,
        "unsupported_grant_type": 400,
        "invalid_client": 401,
        # RFC 6749 says 400; SPEC section 5 says bad credentials are a 401.
        "invalid_grant": 401,
    }
    TITLES: ClassVar[dict[str, str]] = {
        "invalid_request": "Invalid token request",
        "unsupported_grant_type": "Unsupported grant type",
        "invalid_client": "Client authentication failed",
        "invalid_grant": "Invalid grant",
    }

    def __init__(
        self,
        error: str,
        description: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        basic_challenge: bool = False,
    ) -> None:
        self.status = self.STATUS[error]
        self.slug = error.replace("_", "-")
        self.title = self.TITLES[error]
        challenge = 'Basic realm="omi"' if basic_challenge else "Bearer"
        headers = {"WWW-Authenticate": challenge} if self.status == 401 else {}
        headers["Cache-Control"] = "no-store"
        super().__init__(
            description,
            errors=errors,
            headers=headers,
            error=error,
            error_description=description,
        )


def field_error(loc: list[str | int], code: str, message: str) -> dict[str, Any]:
    """One located fault of a JSON payload."""
    return {"loc": loc, "code": code, "message": message}


def row_error(row: int, column: str | None, code: str, message: str) -> dict[str, Any]:
    """One located fault of an uploaded file (rows count data rows from 1)."""
    return {"row": row, "column": column, "code": code, "message": message}
