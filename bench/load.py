"""Load benchmark: the real service under uvicorn, loaded by wrk, against a bare FastAPI app.

    python -m bench.load --db postgresql
    python -m bench.load --db sqlite

Seeds a scratch database, starts the service and a bare FastAPI app with the same
uvicorn settings (`bench.load_serve`), then:

1. Rounds that alternate the bare endpoints and each service endpoint, one wrk run
   each, so drift on the machine hits them all alike. Every figure is the median of the
   rounds; each ratio is against the bare async endpoint of the same round. wrk's CPU
   and the server's are measured over every run, and a run where wrk used as much CPU
   as the server is flagged: its rate may be wrk's, not the server's.
2. A mixed workload: inspectors reading scores, trust systems polling their letters
   with conditional requests, an uploader re-importing a file, each from its own wrk
   process at once, with requests per second, p50/p99 and errors per kind.

Exits 1 on any error or unexpected status.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from bench import wrk
from bench.wrk import Request, Variant, WrkRun

PASSWORD = "demo-password-1"
INSPECTORS = ("probation", "prisons", "analyst", "admin")
# SPEC 20, on PostgreSQL with one worker: each endpoint's share of the bare endpoint's rate.
TARGETS = {"scores": 0.25, "letters-304": 0.25, "health-live": 0.60}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers, both servers")
    parser.add_argument("--port", type=int, default=8731, help="service port; bare is port+1")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--seconds", type=float, default=5, help="per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--mixed-seconds", type=float, default=20)
    parser.add_argument("--import-rows", type=int, default=100)
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


@dataclass(frozen=True)
class Urls:
    service: str
    bare: str


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk.require_wrk()
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
        report = _with_servers(args, fixture)
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


def _with_servers(args: argparse.Namespace, fixture: Any) -> dict[str, Any]:
    from bench import load_serve

    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    service = load_serve.Server(load_serve.SERVICE, args.port, args.workers, env)
    bare = load_serve.Server(load_serve.BARE, args.port + 1, args.workers, env)
    urls = Urls(f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}")
    try:
        service.wait_ready(f"{urls.service}/health/ready")
        bare.wait_ready(f"{urls.bare}/bare")
        plan = ratio_plan(urls, fixture)
        ratio = ratio_phase(args, plan, service.pid, bare.pid)
        mixed = mixed_phase(args, urls, fixture)
    finally:
        service.stop()
        bare.stop()
    errors = sum(row["errors"] for row in ratio["endpoints"].values())
    errors += sum(row["errors"] for row in mixed["kinds"])
    return {"ratio": ratio, "mixed": mixed, "errors": errors}


def token(client: httpx.Client, username: str) -> dict[str, str]:
    form = {"grant_type": "password", "username": username, "password": PASSWORD}
    response = client.post("/api/v1/auth/token", data=form)
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def etag(client: httpx.Client, path: str, headers: dict[str, str]) -> str:
    response = client.get(path, headers=headers)
    response.raise_for_status()
    return response.headers["etag"]


def ratio_plan(urls: Urls, fixture: Any) -> list[tuple[Request, str]]:
    """Each endpoint measured, with which server answers it ("bare" or "service")."""
    with httpx.Client(base_url=urls.service, timeout=30) as client:
        inspector, trust = token(client, "probation"), token(client, "trust")
        scores = f"/api/v1/inspections/{fixture.scored[0]}/scores"
        scores_tag = etag(client, scores, inspector)
        letters_tag = etag(client, "/api/v1/findings-letters", trust)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    # Logins in turn over six accounts, one connection each: the throttle counts a login in
    # flight against its account until it succeeds, so an account with more than a few at
    # once would be refused (429), as it should be.
    logins = tuple(
        Variant(
            "/api/v1/auth/token",
            form,
            "POST",
            urlencode({"grant_type": "password", "username": name, "password": PASSWORD}),
        )
        for name in (*INSPECTORS, "trust", "uploader")
    )

    def at(name: str, base: str, variant: Variant, expected: int = 200) -> Request:
        return Request(name, base, (variant,), (expected,))

    return [
        (at("bare", urls.bare, Variant("/bare", {})), "bare"),
        (at("bare-sync", urls.bare, Variant("/bare-sync", {})), "bare"),
        (at("health-live", urls.service, Variant("/health/live", {})), "service"),
        (at("health-ready", urls.service, Variant("/health/ready", {})), "service"),
        (
            at(
                "inspection",
                urls.service,
                Variant(f"/api/v1/inspections/{fixture.scored[0]}", inspector),
            ),
            "service",
        ),
        (at("scores", urls.service, Variant(scores, inspector)), "service"),
        (
            at(
                "scores-304",
                urls.service,
                Variant(scores, {**inspector, "If-None-Match": scores_tag}),
                304,
            ),
            "service",
        ),
        (
            at(
                "letters-304",
                urls.service,
                Variant("/api/v1/findings-letters", {**trust, "If-None-Match": letters_tag}),
                304,
            ),
            "service",
        ),
        (Request("token", urls.service, logins, max_connections=len(logins)), "service"),
    ]


def ratio_phase(
    args: argparse.Namespace, plan: list[tuple[Request, str]], service_pid: int, bare_pid: int
) -> dict[str, Any]:
    from bench.load_serve import cpu_seconds

    pids = {"bare": bare_pid, "service": service_pid}
    runs: dict[str, list[WrkRun]] = {request.name: [] for request, _ in plan}
    ratios: dict[str, list[float]] = {request.name: [] for request, _ in plan}
    for round_number in range(args.rounds + 1):
        measured: dict[str, WrkRun] = {}
        for request, server in plan:
            # Round 0 warms both servers (imports, caches, connection pools) and is discarded.
            seconds = args.seconds if round_number else 1
            measured[request.name] = wrk.run(
                request,
                seconds=seconds,
                connections=args.connections,
                threads=args.threads,
                server_cpu=lambda pid=pids[server]: cpu_seconds(pid),
            )
        if round_number:
            for name, result in measured.items():
                runs[name].append(result)
                ratios[name].append(result.rps / measured["bare"].rps)
    return {"endpoints": {name: _summary(results, ratios[name]) for name, results in runs.items()}}


def _summary(results: list[WrkRun], ratios: list[float]) -> dict[str, Any]:
    return {
        "rps": statistics.median(r.rps for r in results),
        "p50_ms": statistics.median(r.p50_ms for r in results),
        "p99_ms": statistics.median(r.p99_ms for r in results),
        "ratio": statistics.median(ratios),
        "server_cpu_ms": statistics.median(r.server_cpu_ms for r in results),
        "wrk_cpu_share": statistics.median(r.wrk_cpu / r.seconds for r in results),
        "server_cpu_share": statistics.median(r.server_cpu / r.seconds for r in results),
        "client_bound_rounds": sum(r.client_bound for r in results),
        "rounds_rps": [round(r.rps) for r in results],
        "errors": sum(r.errors for r in results),
    }


def mixed_phase(args: argparse.Namespace, urls: Urls, fixture: Any) -> dict[str, Any]:
    """Inspectors, trust systems and an uploader at once, each kind its own wrk process."""
    with httpx.Client(base_url=urls.service, timeout=30) as client:
        tokens = [token(client, name) for name in INSPECTORS]
        trust, uploader = token(client, "trust"), token(client, "uploader")
        letters = [("/api/v1/findings-letters", etag(client, "/api/v1/findings-letters", trust))]
        letters += [
            (path, etag(client, path, trust))
            for path in (f"/api/v1/findings-letters/{id_}" for id_ in fixture.letters)
        ]
    reads = tuple(
        Variant(f"/api/v1/inspections/{inspection}/scores", tokens[n % len(tokens)])
        for n, inspection in enumerate(fixture.scored)
    )
    polls = tuple(Variant(path, {**trust, "If-None-Match": tag}) for path, tag in letters)
    upload = Variant(
        f"/api/v1/inspections/{fixture.import_target}/case-imports?mode=upsert",
        {**uploader, "Content-Type": "text/csv"},
        "POST",
        fixture.import_csv.decode(),
    )
    kinds = [
        (Request("inspector", urls.service, reads, (200,)), 8),
        (Request("trust-poll", urls.service, polls, (304,)), 4),
        (Request("case-import", urls.service, (upload,), (201,)), 1),
    ]
    running = [
        wrk.start(request, seconds=args.mixed_seconds, connections=n) for request, n in kinds
    ]
    results = [wrk.finish(item) for item in running]
    return {
        "seconds": args.mixed_seconds,
        "kinds": [
            {
                "kind": r.name,
                "requests": r.requests,
                "rps": r.rps,
                "p50_ms": r.p50_ms,
                "p99_ms": r.p99_ms,
                "errors": r.errors,
            }
            for r in results
        ],
    }


def print_report(report: dict[str, Any]) -> None:
    settings = report["settings"]
    print(
        f"database {settings['db']}, {settings['workers']} worker(s), {settings['cpus']} CPUs, "
        f"wrk {settings['threads']} thread(s) x {settings['connections']} connections, "
        f"{settings['rounds']} rounds of {settings['seconds']} s, load average before/after "
        f"{settings['load_average']}"
    )
    print("\nagainst the bare endpoint (median of rounds; ratio within each round)")
    print(
        f"  {'endpoint':<13}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'ratio':>8}"
        f"{'srv ms/req':>11}{'wrk CPU':>9}{'srv CPU':>9}  rounds"
    )
    for name, row in report["ratio"]["endpoints"].items():
        target = TARGETS.get(name)
        verdict = "" if target is None else (" met" if row["ratio"] >= target else " NOT met")
        flag = (
            f"  wrk-bound in {row['client_bound_rounds']} round(s)"
            if row["client_bound_rounds"]
            else ""
        )
        print(
            f"  {name:<13}{row['rps']:>8.0f}{row['p50_ms']:>8.2f}{row['p99_ms']:>8.2f}"
            f"{100 * row['ratio']:>7.1f}%{row['server_cpu_ms']:>11.3f}"
            f"{100 * row['wrk_cpu_share']:>8.0f}%{100 * row['server_cpu_share']:>8.0f}%"
            f"  {row['rounds_rps']}"
            + (f"  target {100 * target:.0f}%:{verdict}" if target else "")
            + flag
            + (f"  ERRORS {row['errors']}" if row["errors"] else "")
        )
    mixed = report["mixed"]
    print(f"\nmixed workload, {mixed['seconds']:.0f} s, each kind its own wrk process")
    print(f"  {'kind':<13}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for row in mixed["kinds"]:
        print(
            f"  {row['kind']:<13}{row['requests']:>9}{row['rps']:>9.1f}{row['p50_ms']:>9.1f}"
            f"{row['p99_ms']:>9.1f}{row['errors']:>8}"
        )
    print(f"\nerrors: {report['errors']}")


if __name__ == "__main__":
    sys.exit(main())
