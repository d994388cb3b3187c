"""The tokens_not_before migration: accounts already disabled count as revoked then, so
enabling them again after the upgrade brings back none of their older tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from app.db import build_engine
from app.migrate import alembic_config
from app.models.base import UTCDateTime
from tests.test_migrations import scratch_url  # noqa: F401  (the fixture)

BEFORE = "i19_letter_unique"
AFTER = "i20_tokens_not_before"


def test_disabled_accounts_are_revoked_at_the_upgrade_and_the_column_goes_back(
    scratch_url,  # noqa: F811
):
    engine = build_engine(scratch_url)
    try:
        command.upgrade(alembic_config(scratch_url), BEFORE)
        with engine.begin() as connection:
            for table, name in (("user_account", "username"), ("service_client", "client_id")):
                secret = "password_hash" if table == "user_account" else "secret_hash"
                connection.execute(
                    text(
                        f"INSERT INTO {table} (id, {name}, {secret}, roles, disabled, created_at) "
                        "VALUES ('on', 'on', '-', '[\"analyst\"]', :no, :at), "
                        "('off', 'off', '-', '[\"analyst\"]', :yes, :at)"
                    ),
                    {"yes": True, "no": False, "at": "2026-11-30 12:00:00"},
                )
        started = datetime.now(UTC) - timedelta(seconds=1)
        command.upgrade(alembic_config(scratch_url), AFTER)
        with engine.connect() as connection:
            for name in ("user_account", "service_client"):
                table = sa.table(
                    name, sa.column("id"), sa.column("tokens_not_before", UTCDateTime())
                )
                rows = dict(
                    connection.execute(sa.select(table.c.id, table.c.tokens_not_before)).all()
                )
                assert rows["on"] is None
                assert started <= rows["off"] <= datetime.now(UTC)
        command.downgrade(alembic_config(scratch_url), BEFORE)
        with engine.connect() as connection:
            columns = connection.execute(text("SELECT * FROM user_account")).keys()
        assert "tokens_not_before" not in columns
    finally:
        engine.dispose()
