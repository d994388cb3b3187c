"""Admission: at most a fixed number of requests are inside the app at once.

FastAPI runs each synchronous dependency and handler on a worker thread of its own, one
after another. A request that has begun a transaction (and so holds a connection, or
SQLite's write lock) may have to wait for a free thread for its next step; when every
thread is taken by requests that are themselves waiting for a connection or that lock,
nothing moves until a timeout fires. Admitting no more requests than there are threads
and connections makes that impossible: an admitted request always finds a thread and a
connection, and the others wait on the event loop, where waiting costs no thread, until a
place frees or their wait runs out (503 with Retry-After).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import anyio
import anyio.to_thread

from app.errors import problem

log = logging.getLogger("omi.admission")
# Threads beyond the admitted requests: streamed bodies and file reads use them too.
SPARE_THREADS = 4


def thread_limit(max_requests: int) -> int:
    """Worker threads for `max_requests` admitted requests (each uses one at a time)."""
    return max_requests + SPARE_THREADS


class Admission:
    """At most `limit` requests inside the app; the rest wait on the event loop.

    `enter` answers False when no place freed within `wait_seconds` (the caller answers
    503 with Retry-After); a True must be paired with `leave`.
    """

    def __init__(self, *, limit: int, wait_seconds: float, retry_after_seconds: int = 2) -> None:
        self.limit = limit
        self.wait_seconds = wait_seconds
        self.retry_after = retry_after_seconds
        # Made on first use, inside the serving event loop (anyio's asyncio semaphore).
        self._places: anyio.Semaphore | None = None

    def _make_places(self) -> anyio.Semaphore:
        # The worker threads are sized here too: the thread limiter belongs to the loop.
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens, thread_limit(self.limit))
        self._places = anyio.Semaphore(self.limit)
        return self._places

    async def enter(self) -> bool:
        places = self._places if self._places is not None else self._make_places()
        try:
            # A free place is taken without a cancel scope: the usual case costs nothing.
            places.acquire_nowait()
            return True
        except anyio.WouldBlock:
            pass
        with anyio.move_on_after(self.wait_seconds):
            await places.acquire()
            return True
        log.warning("request refused: every place was taken for the whole wait")
        return False

    def leave(self) -> None:
        assert self._places is not None, "leave without enter"
        self._places.release()

    def unavailable_messages(self) -> tuple[dict[str, Any], dict[str, Any]]:
        body = problem(
            503,
            "service-unavailable",
            "Service unavailable",
            "the service is at capacity; retry shortly",
        )
        start = {
            "type": "http.response.start",
            "status": 503,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"retry-after", str(self.retry_after).encode()),
            ],
        }
        return start, {"type": "http.response.body", "body": json.dumps(body).encode()}
