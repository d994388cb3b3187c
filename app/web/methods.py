"""The methods a path takes: for OPTIONS, and for every 405's `Allow`.

Starlette answers OPTIONS with 405 and its `Allow` names only the first route that matched
the path, so `/api/v1/inspections` claimed to take POST alone. Here the path is matched
against every route (RFC 9110 9.3.7); app/web/middleware.py answers with the list.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Match

Scope = dict[str, Any]


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
