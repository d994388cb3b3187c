"""The routers' path index: it refuses exactly the paths none of its routes takes."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute
from starlette.routing import Match

from app.main import API_ROUTERS
from app.routers import health
from app.web.routing import IndexedRouter

ROUTERS = [health.router, *API_ROUTERS]


def sample_path(route: APIRoute) -> str:
    return re.sub(r"\{[^}]+\}", "x1", route.path)


def every_sample_path() -> list[str]:
    return [sample_path(route) for router in ROUTERS for route in router.routes]


def as_plain_router(router: IndexedRouter) -> APIRouter:
    plain = APIRouter()
    plain.routes.extend(router.routes)
    return plain


def path_matches(router: APIRouter, path: str) -> bool:
    """Whether some route of the router takes the path, for any method."""
    return any(
        route.matches({"type": "http", "path": path, "root_path": "", "method": method})[0]
        is not Match.NONE
        for route in router.routes
        for method in ("GET", "POST", "PATCH", "PUT", "DELETE")
    )


@pytest.mark.parametrize("router", ROUTERS, ids=lambda router: router.prefix or "/")
def test_the_index_agrees_with_the_routes_on_every_path(router: IndexedRouter):
    assert isinstance(router, IndexedRouter)
    paths = router._paths()
    assert paths is not None
    plain = as_plain_router(router)
    # Every route's own path, every other router's, and each with a trailing slash.
    for path in every_sample_path():
        for variant in (path, path + "/", path.rstrip("/") or "/"):
            assert (paths.match(variant) is not None) == path_matches(plain, variant), variant


def test_a_router_refuses_a_foreign_path_and_takes_its_own(client):
    assert client.get("/health/live").status_code == 200
    refused = client.get("/api/v1/no-such-thing")
    assert refused.status_code == 404
    assert refused.headers["content-type"].startswith("application/problem+json")
