"""Database engine and the per-request unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

from anyio import to_thread
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from app.config import get_settings


def normalise_url(url: str) -> str:
    """Use psycopg 3 for every PostgreSQL URL, whatever driver the URL names."""
    parsed = make_url(url)
    # "postgres://" is what many hosting platforms hand out; SQLAlchemy no longer accepts it.
    if parsed.get_backend_name() in ("postgresql", "postgres") and (
        parsed.drivername != "postgresql+psycopg"
    ):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def build_engine(url: str, **overrides: Any) -> Engine:
    url = normalise_url(url)
    # Bound values are case data: keep them out of exception text, and so out of the logs.
    overrides.setdefault("hide_parameters", True)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **overrides
        )
        _configure_sqlite(engine)
        return engine
    settings = get_settings()
    options: dict[str, Any] = {
        # A connection the server dropped is replaced before use, so a restart heals by itself.
        "pool_pre_ping": True,
        "pool_size": settings.db_pool_size,
        "max_overflow": settings.db_pool_size,
        "pool_recycle": 1800,
        "pool_timeout": 10,
        "connect_args": {"connect_timeout": 5},
    }
    options.update(overrides)
    return create_engine(url, **options)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy drive BEGIN.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


@lru_cache
def get_engine() -> Engine:
    return build_engine(get_settings().database_url)


async def get_session() -> AsyncIterator[Session]:
    """One transaction per request: commit when the handler returns, roll back when it raises.

    Made on the event loop: a session touches the database only when a handler uses it
    (in a worker thread), so a request answered from a cache takes no thread hop at all.
    Ending the transaction is database work, so it goes to a worker thread, and only when
    there is one to end.
    """
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
        if session.in_transaction():
            await to_thread.run_sync(session.commit)
    except BaseException:
        if session.in_transaction():
            await to_thread.run_sync(session.rollback)
        raise
    finally:
        session.close()
