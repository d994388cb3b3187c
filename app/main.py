"""The application factory."""

from __future__ import annotations

import logging

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute

from app.config import get_settings
from app.logs import configure_logging
from app.routers import (
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
from app.web.admission import AdmissionMiddleware
from app.web.methods import AllowMiddleware
from app.web.middleware import BodyLimitMiddleware, NulGuardMiddleware, RequestContextMiddleware
from app.web.openapi_docs import API_ERRORS, declare_problem_media_type, problem_responses

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
]


class ConfigurationError(RuntimeError):
    pass


def operation_id(route: APIRoute) -> str:
    return route.operation_id or route.name


def create_app() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    problems = settings.signing_problems()
    if problems and not settings.is_development:
        raise ConfigurationError("; ".join(problems) + " (or set OMI_ENV=development)")
    if problems:
        log.warning("development mode: tokens are signed with an ephemeral key")

    app = FastAPI(
        title="OMI service",
        version="1.0.0",
        description=DESCRIPTION,
        generate_unique_id_function=operation_id,
    )
    app.state.scores_cache = ScoresCache()
    error_handlers.install(app)
    generate_openapi = app.openapi
    app.openapi = lambda: declare_problem_media_type(generate_openapi())  # type: ignore[method-assign]
    # 400: a NUL character in the path or query (NulGuardMiddleware) fails any route.
    app.include_router(health.router, responses=problem_responses(400))
    app.include_router(auth.router, responses=problem_responses(400, 422, 503))
    for router in API_ROUTERS:
        app.include_router(router, responses=API_ERRORS)

    if settings.cors_origin_list:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origin_list,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=[
                "Authorization",
                "Content-Type",
                "If-Match",
                "If-None-Match",
                "Idempotency-Key",
            ],
            expose_headers=["ETag", "Location", "Retry-After", "X-Request-ID"],
        )
    app.add_middleware(AllowMiddleware, routes=app.router.routes)
    app.add_middleware(NulGuardMiddleware)
    app.add_middleware(
        BodyLimitMiddleware,
        default_limit=settings.max_json_bytes,
        upload_limit=settings.max_upload_bytes,
    )
    app.add_middleware(
        AdmissionMiddleware,
        limit=settings.max_concurrent_requests,
        wait_seconds=settings.request_queue_seconds,
    )
    app.add_middleware(RequestContextMiddleware)
    return app
