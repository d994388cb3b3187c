"""The real clients of the service, as load-test users, and the scores-versus-bare phase."""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from bench.load_client import Budget, Recorder, run_users, timed
from bench.load_seed import Fixture

Step = Callable[[], Awaitable[None]]


def inspector(
    client: httpx.AsyncClient, recorder: Recorder, headers: dict[str, str], inspections: list[str]
) -> Step:
    """An inspector's screen refreshing the scores of the inspections in hand."""
    ids = itertools.cycle(inspections)

    async def step() -> None:
        await timed(
            client,
            recorder,
            "scores",
            {200},
            "GET",
            f"/api/v1/inspections/{next(ids)}/scores",
            headers=headers,
        )

    return step


def trust_system(client: httpx.AsyncClient, recorder: Recorder, headers: dict[str, str]) -> Step:
    """A trust's system polling for released letters, revalidating what it already holds."""
    etags: dict[str, str] = {}
    known: list[str] = []
    turn = itertools.count()

    async def step() -> None:
        # One poll of the list in four; the other turns revalidate the letters it named.
        number = next(turn)
        if not known or number % 4 == 0:
            listing = await timed(
                client,
                recorder,
                "letters.list",
                {200, 304},
                "GET",
                "/api/v1/findings-letters",
                headers=_conditional(headers, etags.get("list")),
            )
            if listing is not None and listing.status_code == 200:
                etags["list"] = listing.headers["etag"]
                known[:] = [item["id"] for item in listing.json()["items"]]
            return
        letter_id = known[number % len(known)]
        letter = await timed(
            client,
            recorder,
            "letter.get",
            {200, 304},
            "GET",
            f"/api/v1/findings-letters/{letter_id}",
            headers=_conditional(headers, etags.get(letter_id)),
        )
        if letter is not None and letter.status_code == 200:
            etags[letter_id] = letter.headers["etag"]

    return step


def importer(
    client: httpx.AsyncClient, recorder: Recorder, headers: dict[str, str], fixture: Fixture
) -> Step:
    """An uploader re-sending the same file in upsert mode: every run validates and writes."""

    async def step() -> None:
        await timed(
            client,
            recorder,
            "case-import",
            {201},
            "POST",
            f"/api/v1/inspections/{fixture.import_target}/case-imports?mode=upsert",
            headers={**headers, "Content-Type": "text/csv"},
            content=fixture.import_csv,
        )

    return step


def _conditional(headers: dict[str, str], etag: str | None) -> dict[str, str]:
    return {**headers, "If-None-Match": etag} if etag else headers


@dataclass
class Saturation:
    requests: int
    seconds: float
    server_cpu: float  # CPU seconds the server spent on them
    client_cpu: float  # CPU seconds this process spent; near `seconds` means the client limits
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.server_cpu / self.requests


async def saturate(
    client: httpx.AsyncClient,
    path: str,
    headers: dict[str, str],
    requests: int,
    concurrency: int,
    server_cpu: Callable[[], float],
) -> Saturation:
    """`requests` GETs of one path from `concurrency` users, as fast as the server answers."""
    recorder = Recorder()
    step = inspector_like(client, recorder, path, headers)
    cpu_before, client_before = server_cpu(), time.process_time()
    started = time.perf_counter()
    await run_users([step] * concurrency, Budget(requests, seconds=600))
    seconds = time.perf_counter() - started
    return Saturation(
        requests,
        seconds,
        server_cpu() - cpu_before,
        time.process_time() - client_before,
        recorder.error_count(),
    )


def inspector_like(
    client: httpx.AsyncClient, recorder: Recorder, path: str, headers: dict[str, str]
) -> Step:
    async def step() -> None:
        await timed(client, recorder, path, {200}, "GET", path, headers=headers)

    return step
