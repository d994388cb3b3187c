"""The single place where failures become RFC 9457 problem documents."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import PROBLEM_MEDIA_TYPE, AppError, problem
from app.web.middleware import with_security_headers

log = logging.getLogger("omi.errors")

HTTP_SLUGS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthorized", "Not authenticated"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    413: ("payload-too-large", "Payload too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


# What FastAPI raises (as a 400) when a JSON body cannot be decoded at all.
FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"


def problem_response(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, body["status"], headers, media_type=PROBLEM_MEDIA_TYPE)


def _located(error: dict[str, Any]) -> dict[str, Any]:
    return {"loc": list(error["loc"]), "code": error["type"], "message": error["msg"]}


def _is_connection_loss(exc: DBAPIError) -> bool:
    return exc.connection_invalidated or isinstance(exc, OperationalError)


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def on_app_error(request: Request, exc: AppError) -> JSONResponse:
        return problem_response(exc.to_problem(request.url.path), exc.headers)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_located(error) for error in exc.errors()]
        detail = f"{len(errors)} fault(s) in the request"
        body = problem(
            422, "validation-failed", "Validation failed", detail, request.url.path, errors=errors
        )
        return problem_response(body)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == FASTAPI_BODY_PARSE_ERROR:
            # A body FastAPI could not even decode (not UTF-8): the same fault, and the same
            # answer, as a JSON syntax error, which FastAPI reports as a validation fault.
            fault = {"loc": ["body"], "code": "json_invalid", "message": "the body is not JSON"}
            body = problem(
                422,
                "validation-failed",
                "Validation failed",
                "1 fault(s) in the request",
                request.url.path,
                errors=[fault],
            )
            return problem_response(body)
        slug, title = HTTP_SLUGS.get(exc.status_code, ("http-error", "HTTP error"))
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 404 and detail == "Not Found":
            detail = "no such resource"
        body = problem(exc.status_code, slug, title, detail, request.url.path)
        return problem_response(body, dict(exc.headers or {}))

    @app.exception_handler(PoolTimeoutError)
    async def on_pool_timeout(request: Request, exc: PoolTimeoutError) -> JSONResponse:
        log.warning("database pool exhausted")
        return _unavailable(request)

    @app.exception_handler(DBAPIError)
    async def on_database_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if _is_connection_loss(exc):
            log.warning("database unavailable", extra={"error": type(exc.orig).__name__})
            return _unavailable(request)
        return await on_unexpected(request, exc)

    @app.exception_handler(psycopg.OperationalError)
    async def on_driver_error(request: Request, exc: psycopg.OperationalError) -> JSONResponse:
        # The bulk writer's COPY talks to the driver directly, so its lost connections and
        # lock or statement timeouts arrive unwrapped; they are as transient as the rest.
        log.warning("database unavailable", extra={"error": type(exc).__name__})
        return _unavailable(request)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = getattr(request.state, "request_id", None) or request.scope.get(
            "state", {}
        ).get("request_id")
        # Named explicitly: by now the request's context (and its id) has been left.
        log.error("unhandled error", exc_info=exc, extra={"request_id": request_id})
        body = problem(
            500,
            "internal-error",
            "Internal server error",
            "the service failed to handle this request; quote the request id when reporting it",
            request.url.path,
            request_id=request_id,
        )
        response = problem_response(body, {"X-Request-ID": request_id} if request_id else None)
        # Starlette sends this response outside the app's middleware, so it adds their headers.
        response.raw_headers = with_security_headers(response.raw_headers, request.url.path)
        return response


def _unavailable(request: Request) -> JSONResponse:
    body = problem(
        503,
        "service-unavailable",
        "Service unavailable",
        "the database is unavailable; retry shortly",
        request.url.path,
    )
    return problem_response(body, {"Retry-After": "5"})
