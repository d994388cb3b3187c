"""Load benchmark: the real service under uvicorn, driven from this process over loopback.

    python -m bench.load --db sqlite
    python -m bench.load --db postgresql

Seeds a scratch database, starts the service and a bare FastAPI app with the same
uvicorn settings, then (1) measures authenticated scores reads against the bare endpoint
(target: at least 25% of its requests per second) and (2) runs a bounded mixed workload
(inspectors reading scores, trust systems polling letters, an import) and reports
requests per second, p50/p99 latency and errors per request kind. Exits 1 on any error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
from typing import Any

TARGET_RATIO = 0.25
PASSWORD = "demo-password-1"
INSPECTORS = ("probation", "prisons", "analyst", "admin")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers, both servers")
    parser.add_argument("--port", type=int, default=8731, help="service port; bare is port+1")
    parser.add_argument("--concurrency", type=int, default=16, help="users in the ratio phase")
    parser.add_argument("--ratio-requests", type=int, default=1000, help="per round and endpoint")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=30, help="mixed phase, seconds")
    parser.add_argument("--max-requests", type=int, default=20000, help="mixed phase, at most")
    parser.add_argument("--inspectors", type=int, default=8)
    parser.add_argument("--trust-systems", type=int, default=4)
    parser.add_argument("--importers", type=int, default=1)
    parser.add_argument("--import-rows", type=int, default=100)
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Settings are read from the environment: set it before any app module reads them.
    os.environ.setdefault("JWT_SECRET", secrets.token_urlsafe(48))
    os.environ.pop("OMI_ENV", None)
    from app.config import get_settings
    from bench.load_db import prepare, scratch_url

    with scratch_url(args.db) as url:
        os.environ["DATABASE_URL"] = url
        get_settings.cache_clear()
        fixture = prepare(url, args.import_rows)
        load_before = os.getloadavg()[0]
        report = asyncio.run(_with_servers(args, fixture))
    # Other work on the machine skews every figure: the load average says how much there was.
    report["settings"] = {
        **vars(args),
        "cpus": os.cpu_count(),
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print_report(report)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(report, handle, indent=2)
    return 1 if report["errors"] else 0


async def _with_servers(args: argparse.Namespace, fixture: Any) -> dict[str, Any]:
    from bench import load_serve

    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    service = load_serve.Server(load_serve.SERVICE, args.port, args.workers, env)
    bare = load_serve.Server(load_serve.BARE, args.port + 1, args.workers, env)
    try:
        service.wait_ready(f"http://127.0.0.1:{args.port}/health/ready")
        bare.wait_ready(f"http://127.0.0.1:{args.port + 1}/bare")
        ratio = await ratio_phase(args, fixture, service.pid, bare.pid)
        mixed = await mixed_phase(args, fixture)
    finally:
        service.stop()
        bare.stop()
    return {
        "ratio": ratio,
        "mixed": mixed,
        "errors": ratio["errors"] + sum(row["errors"] for row in mixed["kinds"]),
    }


async def ratio_phase(args: argparse.Namespace, fixture: Any, service_pid: int, bare_pid: int):
    """Rounds of bare, bare-sync, inspection and scores saturation, interleaved so drift hits
    them all."""
    from bench.load_client import fetch_token, new_client
    from bench.load_serve import cpu_seconds
    from bench.load_workload import saturate

    service_url, bare_url = f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}"
    async with (
        new_client(service_url, args.concurrency) as service,
        new_client(bare_url, args.concurrency) as bare,
    ):
        headers = await fetch_token(service, "probation", PASSWORD)
        scores_path = f"/api/v1/inspections/{fixture.scored[0]}/scores"
        # The inspection read pays what every authenticated read does (token, account,
        # inspection, session, middleware) and little else: the floor under scores.
        inspection_path = f"/api/v1/inspections/{fixture.scored[0]}"
        runs: dict[str, list[Any]] = {"bare": [], "bare-sync": [], "inspection": [], "scores": []}
        plan = [
            ("bare", bare, "/bare", {}, bare_pid),
            ("bare-sync", bare, "/bare-sync", {}, bare_pid),
            ("inspection", service, inspection_path, headers, service_pid),
            ("scores", service, scores_path, headers, service_pid),
        ]
        for round_number in range(args.rounds + 1):
            for name, client, path, auth, pid in plan:
                # Round 0 warms both servers (imports, caches, connection pools) and is discarded.
                requests = args.ratio_requests if round_number else args.ratio_requests // 5
                result = await saturate(
                    client, path, auth, requests, args.concurrency, lambda p=pid: cpu_seconds(p)
                )
                if round_number:
                    runs[name].append(result)
    figures = {name: _median_run(results) for name, results in runs.items()}
    return {
        "endpoints": figures,
        "ratio": figures["scores"]["rps"] / figures["bare"]["rps"],
        "ratio_sync": figures["scores"]["rps"] / figures["bare-sync"]["rps"],
        "cpu_ratio": figures["bare"]["server_cpu_ms"] / figures["scores"]["server_cpu_ms"],
        "errors": sum(result.errors for results in runs.values() for result in results),
    }


def _median_run(results: list[Any]) -> dict[str, float]:
    return {
        "rps": statistics.median(result.rps for result in results),
        "server_cpu_ms": statistics.median(result.cpu_ms for result in results),
        "client_cpu_share": statistics.median(r.client_cpu / r.seconds for r in results),
        "rounds_rps": [round(result.rps, 1) for result in results],
    }


async def mixed_phase(args: argparse.Namespace, fixture: Any) -> dict[str, Any]:
    from bench.load_client import Budget, Recorder, fetch_token, new_client, run_users
    from bench.load_workload import importer, inspector, trust_system

    users = args.inspectors + args.trust_systems + args.importers
    async with new_client(f"http://127.0.0.1:{args.port}", users) as client:
        tokens = {name: await fetch_token(client, name, PASSWORD) for name in INSPECTORS}
        trust = await fetch_token(client, "trust", PASSWORD)
        uploader = await fetch_token(client, "uploader", PASSWORD)
        recorder = Recorder()
        steps = [
            inspector(client, recorder, tokens[INSPECTORS[n % 4]], fixture.scored)
            for n in range(args.inspectors)
        ]
        steps += [trust_system(client, recorder, trust) for _ in range(args.trust_systems)]
        steps += [importer(client, recorder, uploader, fixture) for _ in range(args.importers)]
        wall = await run_users(steps, Budget(args.max_requests, args.duration))
    kinds = recorder.summary(wall)
    return {"seconds": wall, "requests": sum(row["requests"] for row in kinds), "kinds": kinds}


def print_report(report: dict[str, Any]) -> None:
    settings, ratio = report["settings"], report["ratio"]
    print(
        f"database {settings['db']}, {settings['workers']} worker(s), {settings['cpus']} CPUs, "
        f"concurrency {settings['concurrency']}, load average before/after "
        f"{settings['load_average']}"
    )
    print("\nscores read against the bare endpoint (median of rounds)")
    for name, row in ratio["endpoints"].items():
        print(
            f"  {name:<10} {row['rps']:8.1f} req/s  server CPU {row['server_cpu_ms']:6.2f} ms/req"
            f"  client CPU {100 * row['client_cpu_share']:3.0f}%  rounds {row['rounds_rps']}"
        )
    verdict = "met" if ratio["ratio"] >= TARGET_RATIO else "NOT met"
    print(
        f"  ratio scores/bare {100 * ratio['ratio']:.1f}% (target {100 * TARGET_RATIO:.0f}%: "
        f"{verdict}); scores/bare-sync {100 * ratio['ratio_sync']:.1f}%; "
        f"by server CPU per request {100 * ratio['cpu_ratio']:.1f}%"
    )
    mixed = report["mixed"]
    print(f"\nmixed workload: {mixed['requests']} requests in {mixed['seconds']:.1f} s")
    print(f"  {'kind':<13}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for row in mixed["kinds"]:
        print(
            f"  {row['kind']:<13}{row['requests']:>9}{row['rps']:>9.1f}{row['p50_ms']:>9.1f}"
            f"{row['p99_ms']:>9.1f}{row['errors']:>8}  {row['statuses']} {row['first_errors']}"
        )
    print(f"\nerrors: {report['errors']}")


if __name__ == "__main__":
    sys.exit(main())
