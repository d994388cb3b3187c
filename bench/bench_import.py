"""Benchmark: POST /api/v1/inspections/{id}/case-imports against a bare bulk load.

    .venv/bin/python -m bench.bench_import --database-url postgresql --cases 100000
    .venv/bin/python -m bench.bench_import --database-url sqlite --cases 100000

Writes two CSV files of valid cases (every case_file question answered), the second a
quarter the size of the first, then for each file, in the same run and on empty tables:
loads it through the endpoint of a live uvicorn server, and loads the same rows with a
bare COPY (PostgreSQL) or executemany (SQLite). Prints the times, their ratio, and the
server's resident memory (idle, and peak during the import) for each file size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import Engine

from app import db
from bench.bench_db import (
    add_database_argument,
    admin_headers,
    backend_name,
    configure_service_environment,
    scratch_database,
)
from bench.bench_server import running_server
from bench.import_data import write_cases_csv
from bench.import_loads import (
    bare_load,
    empty_case_tables,
    endpoint_load,
    framework_plan,
    new_inspection,
    stored,
    timed,
)
from bench.timing import print_table

FRAMEWORK = "omi-custody-2011"
WARM_UP_ROWS = 50


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_argument(parser)
    parser.add_argument("--cases", type=int, default=100_000, help="rows of the larger file")
    args = parser.parse_args(argv)
    configure_service_environment()
    with scratch_database(args.database_url) as url, tempfile.TemporaryDirectory() as folder:
        print(f"database: {backend_name(url)}; cases: {args.cases:,}")
        rows = [measure(size, Path(folder)) for size in (max(1, args.cases // 4), args.cases)]
    print_table(
        (
            "cases",
            "file MB",
            "endpoint s",
            "bare s",
            "endpoint/bare",
            "server idle MiB",
            "server peak MiB",
        ),
        rows,
    )
    return 0


def measure(cases: int, folder: Path) -> tuple[object, ...]:
    """One file size: the endpoint on a fresh server, then the bare load, each on empty tables."""
    engine = db.get_engine()
    framework_id, index, plan = framework_plan(engine, FRAMEWORK)
    path, warm_up = folder / f"cases-{cases}.csv", folder / "warm-up.csv"
    started = time.perf_counter()
    write_cases_csv(path, cases, index)
    write_cases_csv(warm_up, WARM_UP_ROWS, index, seed=7)
    print(f"wrote {cases:,} cases to CSV in {time.perf_counter() - started:.1f} s")
    headers = admin_headers()
    empty_case_tables(engine)
    with running_server() as server:
        # A small dry run first, so the idle figure includes everything an import loads.
        endpoint_load(
            server.base_url, headers, warm_up, new_inspection(engine, framework_id), dry_run=True
        )
        idle = server.memory_kib()["VmRSS"]
        target = new_inspection(engine, framework_id)
        endpoint_s, answer = timed(lambda: endpoint_load(server.base_url, headers, path, target))
        peak = server.memory_kib()["VmHWM"]
    _check(engine, target, cases, answer.get("created"), len(plan))
    empty_case_tables(engine)
    baseline = new_inspection(engine, framework_id)
    bare_s, _ = timed(lambda: bare_load(engine, path, baseline, plan))
    _check(engine, baseline, cases, cases, len(plan))
    empty_case_tables(engine)
    size_mb = path.stat().st_size / 1e6
    path.unlink()
    return (cases, size_mb, endpoint_s, bare_s, endpoint_s / bare_s, idle / 1024, peak / 1024)


def _check(engine: Engine, inspection_id: str, cases: int, created: int, questions: int) -> None:
    """Both loads must have stored every case and answer, or the comparison means nothing."""
    found = stored(engine, inspection_id)
    if created != cases or found != (cases, cases * questions):
        sys.exit(f"load incomplete: created={created} stored={found} expected {cases}")


if __name__ == "__main__":
    sys.exit(main())
