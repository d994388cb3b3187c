"""OPTIONS answered with the methods a path takes, and every 405 naming all of them.

Starlette answers OPTIONS with 405 and its `Allow` names only the first route that matched
the path, so `/api/v1/inspections` claimed to take POST alone. Here the path is matched
against every route: OPTIONS gets 204 with the full `Allow` (RFC 9110 9.3.7), and a 405
carries the same list. CORS preflights are left to the CORS middleware.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import BaseRoute, Match

Scope = dict[str, Any]
Message = dict[str, Any]
ASGIApp = Callable[..., Any]


CANDIDATES = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route takes at this path; empty when no route has the path.

    Each method is tried against the routes as the router itself would match it, so
    included routers (which FastAPI keeps nested) are searched too.
    """
    methods = [
        method
        for method in CANDIDATES
        if any(route.matches({**scope, "method": method})[0] is Match.FULL for route in routes)
    ]
    return [*methods, "OPTIONS"] if methods else []


class AllowMiddleware:
    def __init__(self, app: ASGIApp, *, routes: list[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if scope["method"] == "OPTIONS" and b"access-control-request-method" not in headers:
            methods = allowed_methods(self.routes, scope)
            if methods:
                await send(
                    {
                        "type": "http.response.start",
                        "status": 204,
                        "headers": [(b"allow", ", ".join(methods).encode())],
                    }
                )
                await send({"type": "http.response.body", "body": b""})
                return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = allowed_methods(self.routes, scope)
                if methods:
                    kept = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                    message["headers"] = [*kept, (b"allow", ", ".join(methods).encode())]
            await send(message)

        await self.app(scope, receive, send_with_allow)
