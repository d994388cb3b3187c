"""Where an aggregate spends its time: each of the service's queries timed, and its plan.

    .venv/bin/python -m bench.profile_aggregates --database-url postgresql --cases 100000

Seeds like bench_aggregates, then times the service's statements one by one (the
matching inspections, the case counts, the answer counts) and the whole aggregate, and
prints the database's plan of the answer-count statement (EXPLAIN ANALYZE on PostgreSQL).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

from app import db
from app.services.aggregates.queries import (
    CASES,
    AggregateFilters,
    GroupBy,
    counts_statement,
    matching_inspections,
    run_counts,
    subject_counts,
)
from app.services.aggregates.service import aggregate
from app.services.frameworks import service as frameworks
from bench.aggregate_seed import seed
from bench.bench_db import add_database_argument, configure_service_environment, scratch_database

FRAMEWORK = "omi-custody-2011"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_argument(parser)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a PostgreSQL setting for the session, e.g. work_mem=64MB or jit=off (repeatable)",
    )
    args = parser.parse_args(argv)
    configure_service_environment()
    with scratch_database(args.database_url), tempfile.TemporaryDirectory() as folder:
        seed(args.cases, 200, FRAMEWORK, Path(folder) / "cases.csv")
        with Session(db.get_engine()) as session:
            framework = frameworks.latest(session, FRAMEWORK)
            assert framework is not None
            for setting in args.set:
                name, _, value = setting.partition("=")
                session.connection().exec_driver_sql(f"SET {name} = '{value}'")
            for group_by in (None, GroupBy.establishment):
                print(f"\n== group_by={group_by.value if group_by else None}")
                profile(session, framework, group_by)
    return 0


def profile(session: Session, framework: object, group_by: GroupBy | None) -> None:
    filters = AggregateFilters()
    matching = matching_inspections(framework, filters, group_by, None, None)  # type: ignore[arg-type]
    steps = {
        "case counts": lambda: subject_counts(session, CASES, matching, group_by, filters),
        "answer counts": lambda: run_counts(
            session, CASES, matching, group_by, filters, with_mean=True
        ),
        "whole aggregate": lambda: aggregate(session, framework, filters, group_by),  # type: ignore[arg-type]
    }
    for name, step in steps.items():
        started = time.perf_counter()
        step()
        print(f"{name:16} {time.perf_counter() - started:8.3f} s")
    statement = counts_statement(CASES, matching, group_by, filters, with_mean=True)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        sql = str(
            statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        )
        plan = connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS) {sql}").all()
    else:
        sql = str(
            statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True})
        )
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}").all()
    print("\n".join(" | ".join(str(cell) for cell in row) for row in plan))


if __name__ == "__main__":
    sys.exit(main())
