"""Scratch databases for the benchmarks: made, migrated, loaded with reference data, dropped.

The URL given on the command line only chooses the backend (and, for PostgreSQL, the
server); every run works in a database of its own and removes it afterwards.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SHORTHANDS = {"sqlite": "sqlite://", "postgresql": DEFAULT_PG_SERVER}


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", "sqlite"),
        help="sqlite, postgresql, or a URL naming the backend and PostgreSQL server "
        "(default: $DATABASE_URL, else sqlite); a scratch database is always used",
    )


def configure_service_environment() -> None:
    """Settings the app reads once: a real signing key, production mode, quiet logs."""
    os.environ["JWT_SECRET"] = secrets.token_urlsafe(48)
    os.environ["OMI_ENV"] = "production"
    os.environ["LOG_LEVEL"] = "WARNING"


@contextmanager
def scratch_database(choice: str) -> Iterator[str]:
    """A fresh, migrated database with reference data, on the backend `choice` names."""
    server = SHORTHANDS.get(choice, choice)
    if make_url(server).get_backend_name() == "sqlite":
        folder = tempfile.mkdtemp(prefix="omi-bench-")
        try:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            _prepare(url)
            yield url
        finally:
            _release()
            shutil.rmtree(folder, ignore_errors=True)
        return
    with _postgres_database(server) as url:
        _prepare(url)
        try:
            yield url
        finally:
            _release()


@contextmanager
def _postgres_database(server: str) -> Iterator[str]:
    from app.db import build_engine

    name = f"omi_bench_{uuid.uuid4().hex[:12]}"
    admin = build_engine(server, isolation_level="AUTOCOMMIT", poolclass=None)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _prepare(url: str) -> None:
    from sqlmodel import Session

    from app import config, db
    from app.migrate import upgrade
    from app.services.reference.loader import load_reference_data

    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    upgrade(url)
    with Session(db.get_engine()) as session:
        load_reference_data(session)
        session.commit()


def _release() -> None:
    from app import db

    db.get_engine().dispose()
    db.get_engine.cache_clear()


def admin_headers() -> dict[str, str]:
    """A bearer token for a new admin account (the token names an account that must exist)."""
    from sqlmodel import Session

    from app import db
    from app.auth.security import issue_token
    from app.models import UserAccount

    with Session(db.get_engine()) as session:
        user = UserAccount(
            username=f"bench-{uuid.uuid4().hex[:8]}",
            password_hash="not-a-login-account",
            roles=["admin"],
        )
        session.add(user)
        session.commit()
        token, _ = issue_token(f"user:{user.id}", ["admin"], None)
    return {"Authorization": f"Bearer {token}"}


def backend_name(url: str) -> str:
    return make_url(url).get_backend_name()
