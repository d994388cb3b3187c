"""Where an authenticated scores read spends its time: cProfile over in-process requests.

    python -m bench.load_profile --db sqlite [--requests 200] [--top 30]

Seeds a scratch database as bench.load does, then profiles GET .../scores through the
whole application (middleware, auth, scoring, coverage, serialisation), no network.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx

PASSWORD = "demo-password-1"


async def _inline(func: Callable[..., Any], *args: Any, **_: Any) -> Any:
    return func(*args)


def run_inline() -> None:
    """Run sync handlers and dependencies on the calling thread, where cProfile can see them."""
    import anyio.to_thread

    anyio.to_thread.run_sync = _inline  # type: ignore[assignment]


async def profile_reads(path: str, requests: int) -> tuple[cProfile.Profile, float]:
    from app.main import create_app

    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://load") as client:
        login = {"grant_type": "password", "username": "probation", "password": PASSWORD}
        token = (await client.post("/api/v1/auth/token", data=login)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        for _ in range(20):  # warm caches and the connection pool
            assert (await client.get(path, headers=headers)).status_code == 200
        started = time.process_time()
        for _ in range(requests):
            await client.get(path, headers=headers)
        spent = time.process_time() - started
        print(f"scores read in process: {1000 * spent / requests:.2f} ms of CPU each")
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        for _ in range(requests):
            await client.get(path, headers=headers)
        profile.disable()
        return profile, time.perf_counter() - started


def time_uncached(url: str, inspection_id: str, requests: int) -> None:
    """The scores document computed and serialised afresh, as a read after a write does."""
    from sqlmodel import Session, create_engine

    from app.services.inspections import service as inspections
    from app.services.scoring.coverage import scores_document

    with Session(create_engine(url)) as session:
        inspection = inspections.get(session, inspection_id)
        started = time.process_time()
        for _ in range(requests):
            scores_document(session, inspection, trust=None, in_scope=None).model_dump_json()
        spent = time.process_time() - started
    print(f"scores document computed afresh: {1000 * spent / requests:.2f} ms of CPU each")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.load_profile")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    args = parser.parse_args()
    os.environ.setdefault("JWT_SECRET", secrets.token_urlsafe(48))
    os.environ.pop("OMI_ENV", None)
    os.environ["LOG_LEVEL"] = "WARNING"  # the access log would drown the profile's output
    from app.config import get_settings
    from bench.load_db import prepare, scratch_url

    run_inline()
    with scratch_url(args.db) as url:
        os.environ["DATABASE_URL"] = url
        get_settings.cache_clear()
        fixture = prepare(url, import_rows=1)
        path = f"/api/v1/inspections/{fixture.scored[0]}/scores"
        profile, elapsed = asyncio.run(profile_reads(path, args.requests))
        time_uncached(url, fixture.scored[0], max(args.requests // 10, 10))
    print(f"{args.requests} scores reads: {1000 * elapsed / args.requests:.2f} ms each (profiled)")
    pstats.Stats(profile).sort_stats(args.sort).print_stats(args.top)


if __name__ == "__main__":
    main()
