"""Connections beyond the pool: wrk at 32, 128 and 512 connections against the service.

    python -m bench.wrk_rounds --db sqlite
    python -m bench.wrk_rounds --db postgresql

Seeds a scratch database as `bench.load` does, starts the service and the bare baseline
(`bench/bare_app.py`) under the same uvicorn settings, then for each connection count runs
`wrk` (a compiled load generator: its CPU never sets the rate) against `/bare`,
`/health/live` and an authenticated `GET /api/v1/inspections/{id}`, `--rounds` times
each. A round fails when wrk reports any non-2xx answer, socket error or timeout, or
finishes no request (a stall). The figure that matters is the authenticated read's rate
at 512 connections against its rate at 32 (target: at least 80%). Exits 1 when a round
fails or the target is missed. Needs `wrk` on PATH (`apt-get install -y wrk`).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
from typing import Any

import httpx

PASSWORD = "demo-password-1"
TARGET_SHARE = 0.8
LEVELS = (32, 128, 512)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.wrk_rounds", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--port", type=int, default=8741, help="service port; bare is port+1")
    parser.add_argument("--seconds", type=int, default=10, help="per round")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--levels", type=int, nargs="+", default=list(LEVELS))
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def wrk(url: str, connections: int, seconds: int, threads: int, token: str | None) -> dict:
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "15s",
        "--latency",
    ]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> dict[str, Any]:
    """Requests per second, requests, latency percentiles and every kind of failure."""

    def number(pattern: str) -> int:
        found = re.search(pattern, output)
        return int(found.group(1)) if found else 0

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.MULTILINE))
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    socket_errors = [int(value) for value in errors.groups()] if errors else [0, 0, 0, 0]
    return {
        "rps": float(rate.group(1)) if rate else 0.0,
        "requests": number(r"(\d+) requests in"),
        "non_2xx": number(r"Non-2xx or 3xx responses: (\d+)"),
        "socket_errors": socket_errors,
        "p50": latency.get("50"),
        "p99": latency.get("99"),
    }


def failed(result: dict[str, Any]) -> bool:
    return result["requests"] == 0 or result["non_2xx"] > 0 or any(result["socket_errors"])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk)", file=sys.stderr)
        return 2
    os.environ.setdefault("JWT_SECRET", secrets.token_urlsafe(48))
    os.environ.pop("OMI_ENV", None)
    from app.config import get_settings
    from bench import load_serve
    from bench.load_db import prepare, scratch_url

    with scratch_url(args.db) as url:
        os.environ["DATABASE_URL"] = url
        get_settings.cache_clear()
        fixture = prepare(url, 10)
        env = {**os.environ, "PYTHONPATH": os.getcwd()}
        service = load_serve.Server(load_serve.SERVICE, args.port, 1, env)
        bare = load_serve.Server(load_serve.BARE, args.port + 1, 1, env)
        load_before = os.getloadavg()[0]
        try:
            base = f"http://127.0.0.1:{args.port}"
            service.wait_ready(f"{base}/health/ready")
            bare.wait_ready(f"http://127.0.0.1:{args.port + 1}/bare")
            answer = httpx.post(
                f"{base}/api/v1/auth/token",
                data={"grant_type": "password", "username": "probation", "password": PASSWORD},
            )
            answer.raise_for_status()
            token = answer.json()["access_token"]
            targets = {
                "bare": (f"http://127.0.0.1:{args.port + 1}/bare", None),
                "live": (f"{base}/health/live", None),
                "inspection": (f"{base}/api/v1/inspections/{fixture.scored[0]}", token),
            }
            # A short warm-up: imports, caches and the connection pool.
            for url_, auth in targets.values():
                wrk(url_, 8, 2, 1, auth)
            runs: dict[str, dict[int, list[dict[str, Any]]]] = {
                name: {level: [] for level in args.levels} for name in targets
            }
            for _ in range(args.rounds):
                for level in args.levels:
                    for name, (url_, auth) in targets.items():
                        result = wrk(url_, level, args.seconds, args.threads, auth)
                        runs[name][level].append(result)
                        print(f"{name:<11} c={level:<4} {summarise(result)}", flush=True)
        finally:
            service.stop()
            bare.stop()
    report = figures(args, runs, [round(load_before, 2), round(os.getloadavg()[0], 2)])
    print_report(report)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2)
    return 0 if report["ok"] else 1


def summarise(result: dict[str, Any]) -> str:
    return (
        f"{result['rps']:8.1f} req/s  {result['requests']:>7} requests  p50 {result['p50']}"
        f"  p99 {result['p99']}  non-2xx {result['non_2xx']}  socket errors "
        f"{result['socket_errors']}"
    )


def figures(args: argparse.Namespace, runs: dict, load: list[float]) -> dict[str, Any]:
    medians = {
        name: {level: statistics.median(r["rps"] for r in results) for level, results in by.items()}
        for name, by in runs.items()
    }
    failures = sum(failed(r) for by in runs.values() for results in by.values() for r in results)
    low, high = min(args.levels), max(args.levels)
    share = medians["inspection"][high] / medians["inspection"][low]
    return {
        "db": args.db,
        "cpus": os.cpu_count(),
        "load_average": load,
        "medians": medians,
        "failed_rounds": failures,
        "share_high_of_low": share,
        "ok": failures == 0 and share >= TARGET_SHARE,
        "runs": runs,
    }


def print_report(report: dict[str, Any]) -> None:
    print(
        f"\ndatabase {report['db']}, {report['cpus']} CPUs, load average before/after "
        f"{report['load_average']}; median req/s of the rounds"
    )
    levels = list(next(iter(report["medians"].values())))
    print("  " + f"{'endpoint':<11}" + "".join(f"{f'c={level}':>11}" for level in levels))
    for name, by in report["medians"].items():
        print("  " + f"{name:<11}" + "".join(f"{by[level]:>11.1f}" for level in levels))
    verdict = "met" if report["share_high_of_low"] >= TARGET_SHARE else "NOT met"
    print(
        f"  inspection at c={levels[-1]} / c={levels[0]}: "
        f"{100 * report['share_high_of_low']:.1f}% (target {100 * TARGET_SHARE:.0f}%: {verdict});"
        f" failed rounds: {report['failed_rounds']}"
    )


if __name__ == "__main__":
    sys.exit(main())
