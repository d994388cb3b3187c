"""The estate-and-eras migration keeps the rows it finds: every held area is a trust of
2010-2021, and the eleven establishments get their NOMIS codes."""

from __future__ import annotations

from datetime import date

from alembic import command
from sqlalchemy import text

from app.db import build_engine
from app.migrate import alembic_config
from tests.test_migrations import scratch_url  # noqa: F401  (the fixture)

BEFORE = "eebbef6cdc6e"
AFTER = "i13a_estate_area_eras"


def as_date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def test_the_migration_fills_the_new_columns_of_held_rows_and_goes_back(scratch_url):  # noqa: F811
    engine = build_engine(scratch_url)
    try:
        command.upgrade(alembic_config(scratch_url), BEFORE)
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO region (code, name) VALUES ('north-east', 'North East')")
            )
            connection.execute(
                text(
                    "INSERT INTO trust (code, name, region_code) "
                    "VALUES ('durham-tees-valley', 'Durham Tees Valley', 'north-east')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO establishment (code, name, type, region_code) "
                    "VALUES ('durham', 'HMP Durham', 'local', 'north-east'), "
                    "('shrewsbury', 'HMP Shrewsbury', 'local', 'north-east')"
                )
            )
        command.upgrade(alembic_config(scratch_url), AFTER)
        with engine.connect() as connection:
            kind, start, end = connection.execute(
                text("SELECT kind, valid_from, valid_to FROM trust")
            ).one()
            prisons = dict(
                connection.execute(text("SELECT code, nomis_code FROM establishment")).all()
            )
            closed = connection.execute(
                text("SELECT closed_on FROM establishment WHERE code = 'shrewsbury'")
            ).scalar_one()
        assert (kind, as_date(start), as_date(end)) == (
            "trust",
            date(2010, 4, 1),
            date(2021, 6, 25),
        )
        assert prisons == {"durham": "DMI", "shrewsbury": "SYI"}
        assert as_date(closed) == date(2013, 3, 31)

        command.downgrade(alembic_config(scratch_url), BEFORE)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM establishment")).scalar_one() == 2
    finally:
        engine.dispose()
