"""The API's routers: each says at once when a path is none of theirs, and each of its
routes ends the request's transaction before the response is sent.

FastAPI keeps each included router nested and asks each in turn whether it takes a
request's path, and each asks every one of its routes: for a path near the end of the
list that is a hundred regular expressions a request. An `IndexedRouter` first tries one
expression that is all of its routes' paths together, so a router that cannot take the
path answers "no match" for the price of one search. It must be included without a
prefix of its own (its routes' paths are what the expression holds); `create_app`
includes every router so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine, MutableMapping
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.routing import APIRoute
from starlette._utils import get_route_path
from starlette.routing import Match

from app.db import end_request_session

Scope = MutableMapping[str, Any]
# Group names repeat across routes; the index needs none of them.
NAMED_GROUP = re.compile(r"\(\?P<\w+>")


def _paths_pattern(routes: list[Any]) -> re.Pattern[str] | None:
    """One expression matching exactly the paths some route matches; None if not all can say."""
    patterns = []
    for route in routes:
        if not isinstance(route, APIRoute):
            return None
        patterns.append(NAMED_GROUP.sub("(?:", route.path_regex.pattern))
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))


class TransactionRoute(APIRoute):
    """A route whose request's session (app/db.py) commits when the handler returns and
    rolls back when it raises, before the response is sent."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def in_transaction(request: Request) -> Response:
            try:
                response = await handle(request)
            except BaseException:
                await end_request_session(request.scope, commit=False)
                raise
            await end_request_session(request.scope, commit=True)
            return response

        return in_transaction


class IndexedRouter(APIRouter):
    def __init__(self, **options: Any) -> None:
        options.setdefault("route_class", TransactionRoute)
        super().__init__(**options)

    _index: tuple[int, re.Pattern[str] | None] | None = None

    def _paths(self) -> re.Pattern[str] | None:
        # Keyed by the number of routes: they are all added before the app first serves.
        if self._index is None or self._index[0] != len(self.routes):
            self._index = (len(self.routes), _paths_pattern(self.routes))
        return self._index[1]

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http":
            paths = self._paths()
            if paths is not None and paths.match(get_route_path(scope)) is None:
                return Match.NONE, {}
        return super().matches(scope)
