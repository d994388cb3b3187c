"""Benchmark: GET /api/v1/aggregates against hand-written SQL over the same tables.

    .venv/bin/python -m bench.bench_aggregates --database-url sqlite --cases 100000
    .venv/bin/python -m bench.bench_aggregates --database-url postgresql --cases 100000

Seeds a scratch database with N cases (every case_file question answered) spread over
many inspections of every establishment, then times, in the same run, the pooled
aggregate and group_by=establishment through the app against one hand-written SQL query
each, and against reading the same cases from a CSV file and counting there.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from pathlib import Path

from bench.aggregate_baselines import count_csv, csv_counter_name, sql_counts
from bench.bench_db import (
    add_database_argument,
    admin_headers,
    backend_name,
    configure_service_environment,
    scratch_database,
)
from bench.timing import median_seconds, print_table

FRAMEWORK = "omi-custody-2011"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_argument(parser)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--cases-per-inspection", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each; the median")
    args = parser.parse_args(argv)
    configure_service_environment()
    with scratch_database(args.database_url) as url, tempfile.TemporaryDirectory() as folder:
        print(f"database: {backend_name(url)}; cases: {args.cases:,}")
        csv_path = Path(folder) / "cases.csv"
        started = time.perf_counter()
        from bench.aggregate_seed import seed

        seeded = seed(args.cases, args.cases_per_inspection, FRAMEWORK, csv_path)
        print(
            f"seeded {seeded.cases:,} cases, {seeded.answers:,} answers, "
            f"{seeded.inspections} inspections in {time.perf_counter() - started:.1f} s "
            f"(counting them into answer_tally: {seeded.tally_seconds:.1f} s)"
        )
        run(args.repeat, seeded.framework_id, seeded.cases, csv_path)
    return 0


def run(repeat: int, framework_id: str, cases: int, csv_path: Path) -> None:
    # Starlette would rather its test client ran on its successor; it works as it is.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from app import db
    from app.main import create_app

    headers = admin_headers()
    engine = db.get_engine()
    with TestClient(create_app()) as client, Session(engine) as session:

        def through_app(group_by: str | None) -> dict:
            params = {"framework": FRAMEWORK, **({"group_by": group_by} if group_by else {})}
            response = client.get("/api/v1/aggregates", params=params, headers=headers)
            response.raise_for_status()
            return response.json()

        def by_sql(group_by: str | None) -> list:
            return sql_counts(session, framework_id, group_by)

        for group_by in (None, "establishment"):
            _check_same_counts(through_app(group_by), by_sql(group_by), cases)
        rows = []
        for label, group_by in (("pooled", None), ("group_by=establishment", "establishment")):
            service = median_seconds(lambda g=group_by: through_app(g), repeat)
            sql = median_seconds(lambda g=group_by: by_sql(g), repeat)
            rows.append((label, service, sql, service / sql))
        csv_time = median_seconds(lambda: count_csv(csv_path), repeat)
    print_table(("aggregate", "service s", "SQL s", "service/SQL"), rows)
    pooled = rows[0][1]
    print(
        f"counting the same cases from CSV ({csv_counter_name()}): {csv_time:.3f} s; "
        f"pooled service / CSV = {pooled / csv_time:.2f}"
    )


def _check_same_counts(document: dict, sql_rows: list, cases: int) -> None:
    """The two sides must count the same answers, or the comparison means nothing."""
    service_yes = sum(
        question["yes"]
        for row in document["rows"]
        for instrument in row["instruments"]
        if instrument["code"] == "case_file"
        for question in instrument["questions"]
    )
    sql_yes = sum(row[-2] for row in sql_rows)
    total_cases = sum(row["cases"] for row in document["rows"])
    if service_yes != sql_yes or total_cases != cases:
        sys.exit(f"mismatch: service yes={service_yes} SQL yes={sql_yes} cases={total_cases}")


if __name__ == "__main__":
    sys.exit(main())
