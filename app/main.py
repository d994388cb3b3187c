"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.routing import Mount, Route

from app import changes
from app.config import Settings, get_settings
from app.logs import configure_logging
from app.routers import (
    accounts,
    aggregates,
    audit,
    auth,
    cases,
    evidence,
    findings,
    frameworks,
    health,
    imports,
    inspections,
    judgements,
    letters,
    prison_tests,
    ratings,
    reference,
    reviews,
    scores,
    survey,
    webhooks,
)
from app.services.scoring.cache import ScoresCache
from app.web import error_handlers
from app.web.access_log import access_log
from app.web.admission import Admission
from app.web.middleware import ServiceMiddleware
from app.web.openapi_docs import (
    API_ERRORS,
    declare_problem_media_type,
    problem_responses,
    without_validation_response,
)

log = logging.getLogger("omi")

DESCRIPTION = """
The system of record for joint offender management inspections by HM Inspectorate of
Probation and HM Inspectorate of Prisons: frameworks, inspections, case samples, scores,
aggregates and findings letters. Errors are RFC 9457 problem documents.
"""

API_ROUTERS = [
    frameworks.router,
    reference.router,
    inspections.router,
    cases.router,
    reviews.router,
    survey.router,
    imports.router,
    scores.router,
    ratings.router,
    aggregates.router,
    findings.router,
    evidence.router,
    judgements.router,
    prison_tests.router,
    letters.router,
    webhooks.router,
    audit.router,
    accounts.router,
]


class ConfigurationError(RuntimeError):
    pass


def operation_id(route: APIRoute) -> str:
    return route.operation_id or route.name


def lifespan_for(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Runs the change feed's listener while the app serves (PostgreSQL only); writes the
    access log's last lines when it stops."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        listener = changes.listener_for(settings.database_url) if settings.change_feed else None
        if listener is not None:
            listener.start()
        try:
            yield
        finally:
            if listener is not None:
                listener.stop()
            access_log.flush()

    return lifespan


# Swagger UI without the online validator badge (it would call out) and keeping the token
# entered under Authorize across reloads.
SWAGGER_UI_PARAMETERS = {"validatorUrl": None, "persistAuthorization": True}


def api_methods() -> list[str]:
    """Every HTTP method an API route answers, for the CORS preflight."""
    methods = {
        method
        for router in API_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    return sorted(methods)


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    problems = settings.signing_problems()
    if problems and not settings.is_development:
        raise ConfigurationError("; ".join(problems) + " (or set OMI_ENV=development)")
    if problems:
        log.warning("development mode: tokens are signed with an ephemeral key")

    # /docs and /redoc with Swagger UI and ReDoc served from the installed package, not a CDN.
    app = FastAPIOffline(
        title="OMI service",
        version="1.0.0",
        description=DESCRIPTION,
        generate_unique_id_function=operation_id,
        lifespan=lifespan_for(settings),
        swagger_ui_parameters=SWAGGER_UI_PARAMETERS,
        static_url="/docs/assets",
    )
    app.state.scores_cache = ScoresCache()
    error_handlers.install(app)
    generate_openapi = app.openapi
    # Replacing app.openapi is how FastAPI documents post-processing the schema; mypy sees
    # a method assignment.
    app.openapi = lambda: declare_problem_media_type(  # type: ignore[method-assign]
        without_validation_response(generate_openapi(), "issue_token")
    )
    # 400: a NUL character in the path or query (ServiceMiddleware) fails any route.
    app.include_router(health.router, responses=problem_responses(400))
    # The token endpoint answers request faults as RFC 6749 invalid_request (400), not 422.
    app.include_router(auth.router, responses=problem_responses(503))
    for router in API_ROUTERS:
        app.include_router(router, responses=API_ERRORS)
    # The API before the pages of /docs and /redoc: a request is matched against the routes
    # in order, and the API's are the ones called thousands of times a second.
    app.router.routes.sort(key=lambda route: isinstance(route, Route | Mount))

    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=api_methods(),
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
            ],
            expose_headers=[
                "Content-Disposition",
                "ETag",
                "Location",
                "Retry-After",
                "X-Request-ID",
            ],
        )
    app.add_middleware(
        ServiceMiddleware,
        routes=app.router.routes,
        admission=Admission(
            limit=settings.max_concurrent_requests, wait_seconds=settings.request_queue_seconds
        ),
        default_limit=settings.max_json_bytes,
        upload_limit=settings.max_upload_bytes,
        cors=bool(settings.cors_origin_list),
    )
    return app
