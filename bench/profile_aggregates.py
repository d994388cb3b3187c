"""Where an aggregate spends its time: the service's own statements, replayed and explained.

    .venv/bin/python -m bench.profile_aggregates --database-url postgresql --cases 100000
    .venv/bin/python -m bench.profile_aggregates --existing postgresql+psycopg://.../db \
        --group-by establishment --group-by os_grade --explain

Seeds like bench_aggregates (or uses an already seeded database with `--existing`), then
for each grouping: times the whole aggregate in process (median of `--repeat`), records
every statement the service sends while it runs, replays each one alone (its time, and
the time left for Python: building the document), and with `--explain` prints the plan
of every statement that took more than a millisecond (EXPLAIN ANALYZE on PostgreSQL,
EXPLAIN QUERY PLAN on SQLite).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from app import config, db
from app.services.aggregates.queries import AggregateFilters
from app.services.aggregates.service import aggregate, frameworks_to_pool, parse_group_by
from bench.bench_db import add_database_argument, configure_service_environment, scratch_database
from bench.timing import median_seconds

FRAMEWORK = "omi-custody-2011"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_argument(parser)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--existing", help="a database already seeded by aggregate_seed")
    parser.add_argument(
        "--group-by", action="append", default=[], help="a group_by value (repeatable)"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="print the slow statements' plans")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting for the session, e.g. work_mem=64MB or jit=off (repeatable)",
    )
    args = parser.parse_args(argv)
    configure_service_environment()
    groups = args.group_by or ["", "establishment"]
    with _database(args) as _url, Session(db.get_engine()) as session:
        for setting in args.set:
            name, _, value = setting.partition("=")
            session.connection().exec_driver_sql(f"SET {name} = '{value}'")
        for group_by in groups:
            print(f"\n== group_by={group_by or None}")
            profile(session, group_by, args.repeat, args.explain)
    return 0


@contextmanager
def _database(args: argparse.Namespace) -> Iterator[str]:
    if args.existing:
        os.environ["DATABASE_URL"] = args.existing
        config.get_settings.cache_clear()
        db.get_engine.cache_clear()
        yield args.existing
        return
    from bench.aggregate_seed import seed

    with scratch_database(args.database_url) as url, tempfile.TemporaryDirectory() as folder:
        seed(args.cases, 200, FRAMEWORK, Path(folder) / "cases.csv")
        yield url


def profile(session: Session, group_by: str, repeat: int, explain: bool) -> None:
    versions = frameworks_to_pool(session, FRAMEWORK, None)
    dimensions = parse_group_by(group_by)
    filters = AggregateFilters()

    def whole() -> Any:
        return aggregate(session, versions, filters, dimensions)

    whole()
    total = median_seconds(whole, repeat)
    with _recorded(session) as statements:
        whole()
    connection = session.connection()
    timed = []
    for sql, parameters in statements:
        seconds = median_seconds(
            lambda s=sql, p=parameters: connection.exec_driver_sql(s, p).all(), repeat
        )
        timed.append((seconds, sql, parameters))
    in_sql = sum(seconds for seconds, _, _ in timed)
    print(
        f"whole aggregate {total * 1000:8.1f} ms; {len(timed)} statements "
        f"{in_sql * 1000:.1f} ms; the rest (Python) {(total - in_sql) * 1000:.1f} ms"
    )
    for seconds, sql, _ in timed:
        print(f"  {seconds * 1000:8.1f} ms  {' '.join(sql.split())[:110]}")
    if not explain:
        return
    for seconds, sql, parameters in timed:
        if seconds < 0.001:
            continue
        print(f"\n-- {seconds * 1000:.1f} ms\n{sql}")
        if connection.dialect.name == "postgresql":
            plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", parameters)
        else:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", parameters)
        print("\n".join(" | ".join(str(cell) for cell in row) for row in plan.all()))


@contextmanager
def _recorded(session: Session) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (and its parameters) sent on the session's connection meanwhile."""
    statements: list[tuple[str, Any]] = []
    engine = session.get_bind()

    def record(conn: Any, cursor: Any, sql: str, parameters: Any, context: Any, many: bool) -> None:
        statements.append((sql, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


if __name__ == "__main__":
    sys.exit(main())
