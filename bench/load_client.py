"""The load generator: timed requests, bounded closed-loop users, and per-kind figures."""

from __future__ import annotations

import asyncio
import math
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

# httpcore looks for sniffio on every request and, when it is not installed, pays for a
# failed import (a walk over sys.path) each time: a third of the client's CPU per request.
# A None entry makes that import fail at once; httpcore then assumes asyncio, as it is.
sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]


@dataclass
class KindStats:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile: the smallest value with `share` of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else math.nan


class Recorder:
    def __init__(self) -> None:
        self.kinds: dict[str, KindStats] = {}

    def add(self, kind: str, seconds: float, status: str, error: str | None = None) -> None:
        stats = self.kinds.setdefault(kind, KindStats())
        stats.latencies.append(seconds)
        stats.statuses[status] += 1
        if error is not None:
            stats.errors.append(error)

    def error_count(self) -> int:
        return sum(len(stats.errors) for stats in self.kinds.values())

    def summary(self, wall: float) -> list[dict[str, Any]]:
        return [
            {
                "kind": kind,
                "requests": len(stats.latencies),
                "rps": len(stats.latencies) / wall,
                "p50_ms": 1000 * percentile(stats.latencies, 0.50),
                "p99_ms": 1000 * percentile(stats.latencies, 0.99),
                "max_ms": 1000 * max(stats.latencies),
                "statuses": dict(sorted(stats.statuses.items())),
                "errors": len(stats.errors),
                "first_errors": stats.errors[:3],
            }
            for kind, stats in sorted(self.kinds.items())
        ]


async def timed(
    client: httpx.AsyncClient,
    recorder: Recorder,
    kind: str,
    expected: Iterable[int],
    method: str,
    url: str,
    **options: Any,
) -> httpx.Response | None:
    """One request, recorded; a status outside `expected` or a transport failure is an error."""
    started = time.perf_counter()
    try:
        response = await client.request(method, url, **options)
    except httpx.HTTPError as exc:
        recorder.add(kind, time.perf_counter() - started, "transport", f"{type(exc).__name__}")
        return None
    elapsed = time.perf_counter() - started
    status = response.status_code
    error = None if status in expected else f"{status} {response.text[:200]}"
    recorder.add(kind, elapsed, str(status), error)
    return response


class Budget:
    """Bounds a run both ways: at most `requests` steps, and none started after `seconds`."""

    def __init__(self, requests: int, seconds: float) -> None:
        self.left = requests
        self.deadline = time.monotonic() + seconds

    def take(self) -> bool:
        if self.left <= 0 or time.monotonic() >= self.deadline:
            return False
        self.left -= 1
        return True


async def run_users(steps: list[Callable[[], Awaitable[None]]], budget: Budget) -> float:
    """Each user repeats its step until the budget runs out; returns the wall time."""

    async def user(step: Callable[[], Awaitable[None]]) -> None:
        while budget.take():
            await step()

    started = time.perf_counter()
    await asyncio.gather(*(user(step) for step in steps))
    return time.perf_counter() - started


async def fetch_token(client: httpx.AsyncClient, username: str, password: str) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def new_client(base_url: str, connections: int) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0)
