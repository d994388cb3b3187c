"""Every route the app serves, discovered from the app itself."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute

try:  # FastAPI keeps included routers as branches; this walks them down to the routes.
    from fastapi.routing import iter_route_contexts
except ImportError:  # pragma: no cover - older FastAPI flattens routes itself
    iter_route_contexts = None


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    route: APIRoute

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _flat(app: FastAPI) -> list[tuple[object, str | None, set[str] | None]]:
    if iter_route_contexts is None:
        return [(r, getattr(r, "path", None), getattr(r, "methods", None)) for r in app.routes]
    return [(c.original_route, c.path, c.methods) for c in iter_route_contexts(app.routes)]


def _documented(route: object) -> bool:
    # The offline documentation pages are APIRoutes kept out of the OpenAPI document.
    return isinstance(route, APIRoute) and route.include_in_schema


def api_endpoints(app: FastAPI) -> list[Endpoint]:
    """Every APIRoute of the OpenAPI document, once per method."""
    found = []
    for route, path, methods in _flat(app):
        if isinstance(route, APIRoute) and _documented(route):
            found += [
                Endpoint(method, path or route.path, route) for method in sorted(methods or ())
            ]
    return found


def other_paths(app: FastAPI) -> set[str]:
    """Paths served by routes outside the OpenAPI document: the documentation pages."""
    return {path for route, path, _ in _flat(app) if not _documented(route) and path}
