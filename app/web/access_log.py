"""The access log: one JSON line per request, handed to `logging` a batch at a time.

A record per request through `logging` (a record made, handlers locked, a line formatted
and written) cost a cached read about a sixth of its time. Here a request's line is
formatted where it ends and kept; the lines go to the "omi.access" logger as one record
a batch, at most `BATCH_SECONDS` after the first of them or once `BATCH_LINES` are kept,
and whenever the app stops. Each line is the JSON object `app.logs.JsonFormatter` would
have written for a record of its own.
"""

from __future__ import annotations

import asyncio
import atexit
import json
import logging
import time
from typing import Any

from app.logs import iso_time

log = logging.getLogger("omi.access")
BATCH_SECONDS = 0.2
BATCH_LINES = 500
_ENCODER = json.JSONEncoder(default=str)


class AccessLog:
    def __init__(self, logger: logging.Logger = log) -> None:
        self.logger = logger
        self._lines: list[str] = []
        self._flush_due: asyncio.TimerHandle | None = None
        self._flush_loop: asyncio.AbstractEventLoop | None = None

    def request(
        self, request_id: str, method: str, path: str, status: int, duration_ms: float
    ) -> None:
        if not self.logger.isEnabledFor(logging.INFO):
            return
        entry: dict[str, Any] = {
            "time": iso_time(time.time()),
            "level": "info",
            "logger": self.logger.name,
            "message": "request",
            "request_id": request_id,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": duration_ms,
        }
        self._lines.append(_ENCODER.encode(entry))
        if len(self._lines) >= BATCH_LINES:
            self.flush()
            return
        loop = asyncio.get_running_loop()
        # (A flush due on another loop, one a test has closed, would never come.)
        if self._flush_due is None or self._flush_loop is not loop:
            self._flush_loop = loop
            self._flush_due = loop.call_later(BATCH_SECONDS, self.flush)

    def flush(self) -> None:
        if self._flush_due is not None and self._flush_loop is not None:
            if not self._flush_loop.is_closed():
                self._flush_due.cancel()
            self._flush_due = self._flush_loop = None
        lines, self._lines = self._lines, []
        if lines:
            self.logger.info("requests", extra={"json_lines": lines})


access_log = AccessLog()
# Lines still kept when the process ends are written, not lost.
atexit.register(access_log.flush)
