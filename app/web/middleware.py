"""The service's one ASGI layer: what every request passes before it reaches a route.

In one pass, so a request pays for one layer rather than five: a request id and one
access-log line; NUL characters refused in paths, query strings and JSON bodies; body
size limits; admission (app/web/admission.py); OPTIONS and 405 answered with every method
the path takes (app/web/methods.py); security headers on every response.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute

from app.errors import problem
from app.services.audit.service import current_request_id
from app.web.access_log import access_log
from app.web.admission import Admission
from app.web.methods import allowed_methods

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[..., Any]

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
# Liveness never queues: it touches neither the database nor a thread.
UNQUEUED_PATHS = ("/health/live",)
# A JSON \u0000 escape (not an escaped backslash followed by the text "u0000").
JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
NUL_DETAIL = "text may not contain NUL characters"
# The request headers this layer reads; the others pass by unread.
READ_HEADERS = frozenset(
    (
        b"x-request-id",
        b"content-length",
        b"content-type",
        b"transfer-encoding",
        b"access-control-request-method",
    )
)


class RequestIds:
    """Unique request ids, cheaply: a random prefix per process and a counter.

    An id needs to be unique, not unguessable, and drawing 16 random bytes from the
    system for each request cost more than the rest of making it. 32 hex digits, like
    the uuid4 hex they replace.
    """

    def __init__(self) -> None:
        self.reset()
        # A forked child starts its own series, or two processes would share ids.
        os.register_at_fork(after_in_child=self.reset)

    def reset(self) -> None:
        self._prefix = secrets.token_hex(11)
        self._counter = itertools.count()

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter) & 0xFFFFFFFFFF:010x}"


request_ids = RequestIds()


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


class BodyTooLarge(StarletteHTTPException):
    """Raised while reading a body; an HTTP error so every layer lets it through as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body exceeds {limit} bytes")


class NulInBody(StarletteHTTPException):
    """Raised while reading a body; rendered as a 400 by the problem handler."""

    def __init__(self) -> None:
        super().__init__(400, NUL_DETAIL)


def _problem_messages(
    status: int, slug: str, title: str, detail: str, extra_headers: list[tuple[bytes, bytes]]
) -> tuple[Message, Message]:
    body = json.dumps(problem(status, slug, title, detail)).encode()
    start = {
        "type": "http.response.start",
        "status": status,
        "headers": [
            (b"content-type", b"application/problem+json"),
            (b"content-length", str(len(body)).encode()),
            *extra_headers,
        ],
    }
    return start, {"type": "http.response.body", "body": body}


def _body_of(headers: dict[bytes, bytes]) -> bool:
    """Whether the request carries a body to read (a declared length, or chunks)."""
    return headers.get(b"content-length", b"0") not in (b"0", b"") or (
        b"transfer-encoding" in headers
    )


class ServiceMiddleware:
    """Wraps the app; see the module's docstring for what it does, in that order."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: list[BaseRoute],
        admission: Admission,
        default_limit: int,
        upload_limit: int,
        cors: bool = False,
    ) -> None:
        self.app = app
        self.routes = routes
        self.admission = admission
        self.default_limit = default_limit
        self.upload_limit = upload_limit
        # With CORS configured its middleware answers preflights; without, a preflight is
        # an OPTIONS like any other (and, carrying no CORS headers, refused by the browser).
        self.cors = cors

    def limit_for(self, path: str) -> int:
        is_upload = path.endswith(("-imports", "/sample")) or path == "/api/v1/frameworks"
        return self.upload_limit if is_upload else self.default_limit

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {name: value for name, value in scope["headers"] if name in READ_HEADERS}
        supplied = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = supplied if REQUEST_ID_PATTERN.match(supplied) else request_ids.next()
        context = current_request_id.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        path = scope["path"]
        response: dict[str, int] = {}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = response["status"] = message["status"]
                kept = message.get("headers", [])
                if status == 405:
                    kept = self._with_allow(kept, scope)
                kept = with_security_headers(kept, path)
                kept.append((b"x-request-id", request_id.encode()))
                message["headers"] = kept
            await send(message)

        try:
            await self._admitted(scope, receive, send_with_headers, headers, response)
        finally:
            access_log.request(
                request_id,
                scope["method"],
                # The path only: query strings may carry filters worth keeping out of logs.
                path,
                response.get("status", 500),
                round((time.perf_counter() - started) * 1000, 1),
            )
            current_request_id.reset(context)

    async def _admitted(
        self,
        scope: Scope,
        receive: Callable,
        send: Callable,
        headers: dict[bytes, bytes],
        response: dict[str, int],
    ) -> None:
        """Refusals that need no route first, then admission, then the app."""
        path = scope["path"]
        if "\x00" in path or b"%00" in scope["query_string"]:
            await self._send(
                send, *_problem_messages(400, "bad-request", "Bad request", NUL_DETAIL, [])
            )
            return
        limit = self.limit_for(path)
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await self._refuse_large(send, limit)
            return
        if scope["method"] == "OPTIONS" and (
            not self.cors or b"access-control-request-method" not in headers
        ):
            methods = allowed_methods(self.routes, scope)
            if methods:
                await self._send(
                    send,
                    {
                        "type": "http.response.start",
                        "status": 204,
                        "headers": [(b"allow", ", ".join(methods).encode())],
                    },
                    {"type": "http.response.body", "body": b""},
                )
                return
        if path in UNQUEUED_PATHS:
            await self.app(scope, receive, send)
            return
        if not await self.admission.enter():
            await self._send(send, *self.admission.unavailable_messages())
            return
        try:
            # Held through background tasks too: they run before the app call returns.
            await self._app_reading_body(scope, receive, send, headers, limit, response)
        finally:
            self.admission.leave()

    async def _app_reading_body(
        self,
        scope: Scope,
        receive: Callable,
        send: Callable,
        headers: dict[bytes, bytes],
        limit: int,
        response: dict[str, int],
    ) -> None:
        """The app, with a body (when there is one) counted and, if JSON, searched for NUL."""
        if not _body_of(headers):
            await self.app(scope, receive, send)
            return
        check_nul = b"json" in headers.get(b"content-type", b"").lower()
        received = 0
        tail = b""

        async def checked_receive() -> Message:
            nonlocal received, tail
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise BodyTooLarge(limit)
                if check_nul:
                    # The tail catches an escape split between two chunks.
                    window = tail + chunk
                    if JSON_NUL.search(window):
                        raise NulInBody()
                    tail = window[-16:]
            return message

        try:
            await self.app(scope, checked_receive, send)
        except BodyTooLarge:
            if "status" not in response:
                await self._refuse_large(send, limit)
        except NulInBody:
            if "status" not in response:
                await self._send(
                    send, *_problem_messages(400, "bad-request", "Bad request", NUL_DETAIL, [])
                )

    def _with_allow(
        self, headers: list[tuple[bytes, bytes]], scope: Scope
    ) -> list[tuple[bytes, bytes]]:
        methods = allowed_methods(self.routes, scope)
        if not methods:
            return headers
        kept = [(name, value) for name, value in headers if name.lower() != b"allow"]
        return [*kept, (b"allow", ", ".join(methods).encode())]

    async def _refuse_large(self, send: Callable, limit: int) -> None:
        # The rest of the body is never read: close the connection after answering.
        messages = _problem_messages(
            413,
            "payload-too-large",
            "Payload too large",
            f"the body exceeds {limit} bytes",
            [(b"connection", b"close")],
        )
        await self._send(send, *messages)

    @staticmethod
    async def _send(send: Callable, start: Message, body: Message) -> None:
        await send(start)
        await send(body)
