"""Counts failed logins per account and per client address, and refuses bursts."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable


class LoginThrottle:
    """A sliding window of failures per key, kept in this process.

    Each worker process keeps its own window, so N workers allow up to N times the
    limit; a shared store is the next step if the service runs many workers.
    """

    def __init__(
        self, max_failures: int, window_seconds: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, key: str, now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        return failures

    def retry_after(self, *keys: str) -> int:
        """Seconds until a blocked key may try again; 0 when none is blocked."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                failures = self._prune(key, now)
                if len(failures) >= self.max_failures:
                    wait = max(wait, failures[0] + self.window - now)
        return math.ceil(wait) if wait > 0 else 0

    def admit(self, *keys: str) -> tuple[int, float]:
        """Check and count an attempt in one step: (seconds to wait, the attempt's stamp).

        An admitted attempt counts as a failure until `withdraw` says it succeeded, so a
        burst of parallel guesses cannot all pass the check before the first one fails.
        """
        now = self.clock()
        with self._lock:
            wait = 0.0
            for key in keys:
                failures = self._prune(key, now)
                if len(failures) >= self.max_failures:
                    wait = max(wait, failures[0] + self.window - now)
            if wait <= 0:
                for key in keys:
                    self._failures[key].append(now)
        return (math.ceil(wait) if wait > 0 else 0), now

    def withdraw(self, stamp: float, *keys: str) -> None:
        """Stop counting an admitted attempt that turned out good (or never got checked)."""
        with self._lock:
            for key in keys:
                failures = self._failures.get(key)
                if failures is not None and stamp in failures:
                    failures.remove(stamp)

    def reset_all(self) -> None:
        with self._lock:
            self._failures.clear()

    def reset(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)
