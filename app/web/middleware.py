"""Pure ASGI middleware: request ids and access logs, security headers, body size limits."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import problem
from app.services.audit.service import current_request_id

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[..., Any]

log = logging.getLogger("omi.access")
REQUEST_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
# Letters and findings pages are standalone: inline styles, nothing loaded from elsewhere.
STRICT_CSP = b"default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
DOCS_PATHS = ("/docs", "/redoc")


def with_security_headers(
    headers: list[tuple[bytes, bytes]], path: str
) -> list[tuple[bytes, bytes]]:
    """A response's headers without a server banner, with the security headers added."""
    kept = [(name, value) for name, value in headers if name.lower() != b"server"]
    kept.extend(SECURITY_HEADERS)
    if not path.startswith(DOCS_PATHS):
        kept.append((b"content-security-policy", STRICT_CSP))
    if not any(name.lower() == b"cache-control" for name, _ in kept):
        kept.append((b"cache-control", b"no-cache, private"))
    return kept


class RequestContextMiddleware:
    """Gives each request an id, logs one line per request, adds security headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if REQUEST_ID_PATTERN.match(supplied) else uuid.uuid4().hex
        token = current_request_id.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = with_security_headers(message.get("headers", []), scope["path"])
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    # The path only: query strings may carry filters worth keeping out of logs.
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            current_request_id.reset(token)


class BodyTooLarge(StarletteHTTPException):
    """Raised while reading a body; an HTTP error so every layer lets it through as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body exceeds {limit} bytes")


class BodyLimitMiddleware:
    """Answers 413 as soon as a body passes its limit, before it is all read."""

    def __init__(self, app: ASGIApp, default_limit: int, upload_limit: int) -> None:
        self.app = app
        self.default_limit = default_limit
        self.upload_limit = upload_limit

    def limit_for(self, path: str) -> int:
        is_upload = path.endswith(("-imports", "/sample")) or path == "/api/v1/frameworks"
        return self.upload_limit if is_upload else self.default_limit

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, limit)

    @staticmethod
    async def _refuse(send: Callable, limit: int) -> None:
        await send_problem(
            send, 413, "payload-too-large", "Payload too large", f"the body exceeds {limit} bytes"
        )


async def send_problem(
    send: Callable, status: int, slug: str, title: str, detail: str, instance: str | None = None
) -> None:
    """A problem document sent straight from middleware, closing the connection."""
    body = json.dumps(problem(status, slug, title, detail, instance)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# A JSON \u0000 escape (not an escaped backslash followed by the text "u0000").
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
NUL_DETAIL = "text may not contain NUL characters"


class NulInBody(StarletteHTTPException):
    """Raised while reading a body; rendered as a 400 by the problem handler."""

    def __init__(self) -> None:
        super().__init__(400, NUL_DETAIL)


class NulGuardMiddleware:
    """Refuses NUL characters in paths, query strings and JSON bodies.

    PostgreSQL text cannot hold U+0000, so one would otherwise reach the database and fail
    there as a 500; no field of this API has a use for it.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope["path"] or b"%00" in scope["query_string"]:
            await send_problem(send, 400, "bad-request", "Bad request", NUL_DETAIL)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
        if b"json" not in content_type:
            await self.app(scope, receive, send)
            return
        tail = b""

        async def checking_receive() -> Message:
            nonlocal tail
            message = await receive()
            if message["type"] == "http.request":
                # The tail catches an escape split between two chunks.
                window = tail + message.get("body", b"")
                if JSON_NUL.search(window):
                    raise NulInBody()
                tail = window[-16:]
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, checking_receive, tracking_send)
        except NulInBody:
            if not started:
                await send_problem(send, 400, "bad-request", "Bad request", NUL_DETAIL)
