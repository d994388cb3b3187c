"""Benchmark: GET /api/v1/aggregates against hand-written SQL over the same tables.

    .venv/bin/python -m bench.bench_aggregates --database-url sqlite --cases 100000
    .venv/bin/python -m bench.bench_aggregates --database-url postgresql --cases 100000

Seeds a scratch database with N cases (every case_file question answered) spread over
many inspections of every establishment, then times, in the same run and side by side
(median of --repeat each), the aggregate pooled and grouped (by establishment, by each of
the cases' facts, and by a pair):

- the service: GET /api/v1/aggregates through the app and the JSON parsed by the client,
  twice: the first read after a change (counted, computed and serialised: what a read
  costs after any inspection's or reference data's change) and a repeated read (the body
  kept under the change feed, app/changes.py; PostgreSQL only, SQLite keeps nothing);
- the floor: a minimal hand-written SUM over the tally the service reads for that group
  (answer_tally for pooled, establishment and scope);
- hand-written SQL over the raw answers and their cases;
- DuckDB reading the cases CSV with no index (pooled and by establishment: the CSV holds
  the establishment and the answers, no other fact of the case).

Then the case-level extract, CSV and Parquet, against reading the same case and answer
rows by hand-written SQL, with the peak memory the extract adds while it streams.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

import orjson

from bench.aggregate_baselines import answer_counts, duckdb_counts, sql_extract, tally_counts
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
    parser.add_argument(
        "--extract-repeat", type=int, default=1, help="timed runs of each extract; the median"
    )
    parser.add_argument("--no-extract", action="store_true", help="time the aggregates only")
    parser.add_argument(
        "--existing",
        nargs=2,
        metavar=("URL", "CSV"),
        help="a database already seeded by aggregate_seed and its cases CSV: no seeding",
    )
    args = parser.parse_args(argv)
    configure_service_environment()
    if args.existing:
        return run_existing(*args.existing, args)
    with scratch_database(args.database_url) as url, tempfile.TemporaryDirectory() as folder:
        print(f"database: {backend_name(url)}; cases: {args.cases:,}")
        csv_path = Path(folder) / "cases.csv"
        started = time.perf_counter()
        from bench.aggregate_seed import seed

        seeded = seed(args.cases, args.cases_per_inspection, FRAMEWORK, csv_path)
        print(
            f"seeded {seeded.cases:,} cases, {seeded.answers:,} answers, "
            f"{seeded.inspections} inspections in {time.perf_counter() - started:.1f} s "
            f"(counting them into the tallies: {seeded.tally_seconds:.1f} s)"
        )
        _show_load()
        run(args.repeat, seeded.framework_id, seeded.cases, csv_path)
        _show_load()
        if not args.no_extract:
            run_extract(args.extract_repeat, seeded.framework_id, seeded.cases)
    return 0


def run_existing(url: str, csv_path: str, args: argparse.Namespace) -> int:
    from sqlalchemy import text
    from sqlmodel import Session

    from app import config, db

    os.environ["DATABASE_URL"] = url
    config.get_settings.cache_clear()
    db.get_engine.cache_clear()
    with Session(db.get_engine()) as session:
        framework_id, cases = (
            session.connection()
            .execute(
                text(
                    "SELECT f.id, count(c.id) FROM framework f JOIN inspection i ON i.framework_id = f.id"
                    " JOIN inspection_case c ON c.inspection_id = i.id WHERE f.code = :code GROUP BY f.id"
                ),
                {"code": FRAMEWORK},
            )
            .one()
        )
    print(f"database: {backend_name(url)} (existing); cases: {cases:,}")
    _show_load()
    run(args.repeat, framework_id, cases, Path(csv_path))
    _show_load()
    if not args.no_extract:
        run_extract(args.extract_repeat, framework_id, cases)
    return 0


def run(repeat: int, framework_id: str, cases: int, csv_path: Path) -> None:
    # Starlette would rather its test client ran on its successor; it works as it is.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient
    from sqlmodel import Session

    from app import changes, db
    from app.main import create_app

    headers = admin_headers()
    engine = db.get_engine()
    with TestClient(create_app()) as client, Session(engine) as session:
        live = changes.wait_until_live()
        print(f"change feed live: {live} (kept bodies {'served' if live else 'none: SQLite'})")

        def after_a_change(group_by: str | None) -> dict:
            # What a commit in this process does: everything kept is stale.
            changes.feed.invalidate_all()
            return through_app(group_by)

        def through_app(group_by: str | None) -> dict:
            params = {"framework": FRAMEWORK, **({"group_by": group_by} if group_by else {})}
            response = client.get("/api/v1/aggregates", params=params, headers=headers)
            response.raise_for_status()
            # Decoded in C, as psycopg decodes the floor's rows: the standard library's
            # decoder alone takes 2-3 times the floor for the 4.7 MB of 132 groups
            # (printed below the table).
            return orjson.loads(response.content)

        through_app(None)
        # Client and server share this process: without this, every collection the
        # client's decoding sets off walks the server's objects too (the app and its
        # frameworks), which a client in its own process would not.
        gc.collect()
        gc.freeze()
        rows = []
        for group_by in GROUPS:
            answers = answer_counts(session, framework_id, group_by)
            tally = tally_counts(session, framework_id, group_by)
            _check_same_counts(through_app(group_by), answers, tally, cases)
            first = median_seconds(lambda g=group_by: after_a_change(g), repeat)
            through_app(group_by)
            kept = median_seconds(lambda g=group_by: through_app(g), repeat)
            by_tally = (
                None
                if tally is None
                else median_seconds(
                    lambda g=group_by: tally_counts(session, framework_id, g), repeat
                )
            )
            by_answers = median_seconds(
                lambda g=group_by: answer_counts(session, framework_id, g), repeat
            )
            by_csv = (
                median_seconds(lambda g=group_by: duckdb_counts(csv_path, g), repeat)
                if group_by in CSV_GROUPS
                else None
            )
            rows.append(
                (
                    "pooled" if group_by is None else f"group_by={group_by}",
                    first,
                    kept,
                    _shown(by_tally),
                    by_answers,
                    _shown(by_csv),
                    _ratio(first, by_tally),
                    _ratio(kept, by_tally),
                    _ratio(first, by_csv),
                    _ratio(kept, by_csv),
                )
            )
            session.rollback()
        _show_decoding(
            lambda: (
                client.get(
                    "/api/v1/aggregates",
                    params={"framework": FRAMEWORK, "group_by": "establishment"},
                    headers=headers,
                ).content
            )
        )
    print_table(
        (
            "aggregate",
            "first s",
            "kept s",
            "tally SQL s",
            "answers SQL s",
            "DuckDB CSV s",
            "first/tally",
            "kept/tally",
            "first/DuckDB",
            "kept/DuckDB",
        ),
        rows,
    )


def _show_decoding(body: Any) -> None:
    content = body()
    decoded = {
        name: median_seconds(lambda d=decode: d(content), 3)
        for name, decode in (("json", json.loads), ("orjson", orjson.loads))
    }
    print(
        f"group_by=establishment body: {len(content):,} bytes, received "
        f"{median_seconds(body, 3):.3f} s, decoded by json {decoded['json']:.3f} s, "
        f"by orjson {decoded['orjson']:.3f} s"
    )


def _shown(seconds: float | None) -> float | str:
    return "-" if seconds is None else seconds


def _ratio(service: float, other: float | None) -> float | str:
    return "-" if other is None else service / other


# Pooled and by an inspection fact (summed from answer_tally, also measured against DuckDB
# reading the CSV); by the cases' facts; by a pair of an inspection fact and a case fact.
GROUPS = (
    None,
    "establishment",
    "os_grade",
    "age_band",
    "rosh",
    "sex",
    "sentence_type",
    "in_scope",
    "establishment_type,os_grade",
)
CSV_GROUPS = (None, "establishment")


def run_extract(repeat: int, framework_id: str, cases: int) -> None:
    """The extract as the server produces it (the service's chunks, consumed and dropped:
    a test client would hold the whole body), against reading the same rows by SQL."""
    from sqlmodel import Session

    from app import db
    from app.services.aggregates import extract
    from app.services.aggregates.queries import AggregateFilters
    from app.services.aggregates.service import frameworks_to_pool

    engine = db.get_engine()
    rows = []
    with Session(engine) as session:
        versions = frameworks_to_pool(session, FRAMEWORK, None)
        filters = AggregateFilters()

        def produce(kind: str) -> int:
            chunks = (
                extract.csv_chunks(session, versions, filters)
                if kind == "csv"
                else extract.parquet_chunks(session, versions, filters)
            )
            return sum(len(chunk) for chunk in chunks)

        for kind in ("csv", "parquet"):
            size, peak = _peak_memory(lambda k=kind: produce(k))
            service = median_seconds(lambda k=kind: produce(k), repeat)
            sql = median_seconds(lambda: sql_extract(session, framework_id), repeat)
            rows.append((f"extract {kind}", service, sql, service / sql, size, peak))
        lines = produce("csv")
    print_table(("extract", "service s", "SQL s", "service/SQL", "bytes", "peak added MiB"), rows)
    print(f"extract of {cases:,} cases: {lines:,} bytes of CSV")


def _show_load() -> None:
    print("load average (1, 5, 15 min): " + " ".join(f"{v:.2f}" for v in os.getloadavg()))


def _rss() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _peak_memory(action: Any) -> tuple[Any, float]:
    """The action's result and the most resident memory it added (MiB), sampled every 5 ms."""
    before = _rss()
    peak = before
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss())
            done.wait(0.005)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = action()
    finally:
        done.set()
        sampler.join()
    return result, (max(peak, _rss()) - before) / 2**20


def _check_same_counts(document: dict, answers: list, tally: list | None, cases: int) -> None:
    """Every side must count the same answers, or the comparison means nothing."""
    service_yes = sum(
        question["yes"]
        for row in document["rows"]
        for instrument in row["instruments"]
        if instrument["code"] == "case_file"
        for question in instrument["questions"]
    )
    sides = {"answers": sum(int(row[-2]) for row in answers)}
    if tally is not None:
        # The tallies also count the National Standards checks, which the service needs too.
        sides["tally"] = sum(
            int(row[-2]) for row in tally if not str(row[-5]).startswith("national_standards:")
        )
    total_cases = sum(row["cases"] for row in document["rows"])
    if any(yes != service_yes for yes in sides.values()) or total_cases != cases:
        sys.exit(f"mismatch: service yes={service_yes} {sides} cases={total_cases}")


if __name__ == "__main__":
    sys.exit(main())
