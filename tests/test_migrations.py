"""Migrations are the schema: the models may not drift from them, and they run both ways."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, MetaData, String, inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import app.models  # noqa: F401  (registers every table on the metadata)
from app.db import build_engine
from app.migrate import alembic_config, upgrade
from tests.conftest import _create_pg_database, backend

REGENERATE = (
    "models and migrations differ; add a migration under migrations/versions "
    "(alembic revision --autogenerate) that makes the schema match the models"
)


def schema_differences(engine: Engine, metadata: MetaData = SQLModel.metadata) -> list:
    """What autogenerate would put in a new migration, compared as migrations/env.py does."""
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, metadata)


def head() -> str:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"migrations have several heads, merge them: {heads}"
    return heads[0]


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@pytest.fixture
def scratch_url() -> Iterator[str]:
    """An empty database of the backend under test, apart from the shared test database."""
    if backend() == "postgresql":
        url, drop = _create_pg_database()
        yield url
        drop()
        return
    with tempfile.TemporaryDirectory(prefix="omi-migrations-") as folder:
        yield f"sqlite:///{Path(folder) / 'scratch.db'}"


def test_the_migrated_test_database_matches_the_models(engine):
    assert schema_differences(engine) == [], REGENERATE


def test_the_test_database_is_at_the_single_head(engine):
    assert current_revision(engine) == head()


def test_the_drift_check_notices_a_column_the_migrations_lack(engine):
    drifted = MetaData(naming_convention=SQLModel.metadata.naming_convention)
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["trust"].append_column(Column("nickname", String(40), nullable=True))
    differences = schema_differences(engine, drifted)
    assert [(d[0], d[2], d[3].name) for d in differences] == [("add_column", "trust", "nickname")]


def test_downgrade_to_base_then_upgrade_rebuilds_the_schema(scratch_url):
    engine = build_engine(scratch_url)
    try:
        upgrade(scratch_url)
        assert current_revision(engine) == head()

        command.downgrade(alembic_config(scratch_url), "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}

        upgrade(scratch_url)
        assert current_revision(engine) == head()
        assert schema_differences(engine) == [], REGENERATE
    finally:
        engine.dispose()
