"""Scratch databases for the load benchmark: created, migrated, seeded, then dropped."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlmodel import Session

from app.db import build_engine
from app.migrate import upgrade
from app.services.reference.loader import load_reference_data
from bench.load_seed import Fixture, seed

PG_ADMIN = os.environ.get("OMI_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@contextmanager
def scratch_url(backend: str) -> Iterator[str]:
    """The URL of an empty database of that backend, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="omi-load-") as folder:
            yield f"sqlite:///{Path(folder) / 'load.db'}"
        return
    name = f"omi_load_{os.getpid()}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0].replace("postgresql:", "postgresql+psycopg:") + "/" + name
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def prepare(url: str, import_rows: int) -> Fixture:
    """Migrate, load reference data and seed; the engine is closed before the servers start."""
    upgrade(url)
    engine = build_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            load_reference_data(session)
            fixture = seed(session, import_rows)
            session.commit()
    finally:
        engine.dispose()
    return fixture
