"""Liveness and readiness probes."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.db import READ_ONLY_START, get_engine
from app.errors import ServiceUnavailable
from app.web.routing import IndexedRouter

router = IndexedRouter(prefix="/health", tags=["health"])


@router.get("/live", operation_id="health_live")
async def live() -> dict[str, str]:
    """The process is up."""
    # async: answered on the event loop, so it needs no worker thread and never queues.
    return {"status": "ok"}


@router.get(
    "/ready", operation_id="health_ready", responses={503: {"description": "Database unavailable"}}
)
def ready() -> dict[str, str]:
    """The process can reach its database."""
    try:
        with get_engine().connect().execution_options(**READ_ONLY_START) as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise ServiceUnavailable("the database is unavailable") from exc
    return {"status": "ok", "database": "ok"}
