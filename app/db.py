"""Database engine and the per-request unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from functools import lru_cache
from typing import Any

from anyio import to_thread
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine
from starlette.requests import Request

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
    settings = get_settings()
    # Every connection of the pool stays open: no overflow connections opened and closed
    # again under load. The app admits only as many requests as there are connections
    # (app/web/admission.py), so a request waits for a place, never for a connection.
    pool: dict[str, Any] = {
        "pool_size": settings.db_pool_size,
        "max_overflow": 0,
        "pool_timeout": 10,  # a 503 with Retry-After, never a stall (admission makes it rare)
    }
    if overrides.get("poolclass") is not None:
        pool = {}  # a caller's own pool class (NullPool, StaticPool) takes no sizes
    if make_url(url).get_backend_name() == "sqlite":
        sqlite_options: dict[str, Any] = {
            "connect_args": {"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            # A memory database has one connection and its own pool class.
            **(pool if make_url(url).database not in (None, "", ":memory:") else {}),
        }
        sqlite_options.update(overrides)
        engine = create_engine(url, **sqlite_options)
        _configure_sqlite(engine)
        return engine
    options: dict[str, Any] = {
        # A connection the server dropped is replaced before use, so a restart heals by itself.
        "pool_pre_ping": True,
        **pool,
        "pool_recycle": 1800,
        "connect_args": {"connect_timeout": 5},
    }
    options.update(overrides)
    return create_engine(url, **options)


SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_BEGIN = "omi_sqlite_begin"
# Execution options for a connection that only reads: on SQLite it starts as a reader and
# so never waits for the writer; PostgreSQL ignores the option.
READ_ONLY_START = {SQLITE_BEGIN: "DEFERRED"}


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; let SQLAlchemy drive BEGIN.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Every transaction starts as the writer. A deferred BEGIN reads first and asks to
        # write later; in WAL mode that upgrade fails at once (SQLITE_BUSY, no waiting) when
        # another writer committed meanwhile, so concurrent writers were refused, not queued.
        # BEGIN IMMEDIATE takes the write lock up front and waits its turn (busy_timeout).
        # Reads queue too, one short transaction at a time: the embedded database trades
        # read concurrency for writes that never fail; PostgreSQL is for heavy traffic.
        # A connection that only ever reads may ask for a deferred start (READ_ONLY_START).
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "IMMEDIATE")
        connection.exec_driver_sql("BEGIN DEFERRED" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


@lru_cache
def get_engine() -> Engine:
    return build_engine(get_settings().database_url)


# Where a request's session is kept in its ASGI scope, from first use to the route's end.
REQUEST_SESSION = "omi.session"


async def get_session(request: Request) -> Session:
    """The request's one session: made on first ask, ended by its route.

    One transaction per request: `end_request_session`, called by every API route
    (app/web/routing.py) when its handler returns or raises, commits or rolls back before
    the response is sent. A plain function rather than a generator dependency: a session
    touches the database only when a handler uses it, so a request answered from a cache
    costs neither a thread hop nor the generator's exit machinery.
    """
    session = request.scope.get(REQUEST_SESSION)
    if session is None:
        session = request.scope[REQUEST_SESSION] = Session(get_engine(), expire_on_commit=False)
    return session


async def end_request_session(scope: MutableMapping[str, Any], *, commit: bool) -> None:
    """Commit (or roll back) and close the request's session, if it made one.

    Ending a transaction is database work, so it goes to a worker thread, and only when
    there is one to end. A commit that fails is rolled back, and its error raised.
    """
    session: Session | None = scope.pop(REQUEST_SESSION, None)
    if session is None:
        return
    try:
        if session.in_transaction():
            await to_thread.run_sync(session.commit if commit else session.rollback)
    except BaseException:
        if session.in_transaction():
            await to_thread.run_sync(session.rollback)
        raise
    finally:
        # A session that never reached the database (a cached read) holds nothing to release.
        if session.identity_map or session.new or session.in_transaction():
            session.close()


async def get_stream_session() -> AsyncIterator[Session]:
    """A session for a streamed body: it stays open until the body has been sent."""
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
