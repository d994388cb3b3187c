"""Structured JSON logs. Messages carry ids and counts, never tokens or personal data."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from app.services.audit.service import current_request_id

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# PostgreSQL's DETAIL and CONTEXT lines quote key values and rows (a case_ref, say).
_SERVER_DETAIL = re.compile(r"^(DETAIL|CONTEXT):.*$", re.MULTILINE)


def iso_time(created: float) -> str:
    """`created` as ISO 8601 UTC to the millisecond, as `datetime.isoformat` writes it."""
    seconds = int(created)
    stamp = _second_stamps.get(seconds)
    if stamp is None:
        stamp = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        # One entry: records arrive in time order, so only the current second is reused.
        _second_stamps.clear()
        _second_stamps[seconds] = stamp
    return f"{stamp}.{int((created - seconds) * 1000):03d}+00:00"


_second_stamps: dict[int, str] = {}
# Made once: json.dumps with options builds a new encoder for every call.
_ENCODER = json.JSONEncoder(default=str)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        lines = getattr(record, "json_lines", None)
        if lines is not None:
            # A batch of lines already written as JSON (app/web/access_log.py).
            return "\n".join(lines)
        entry: dict[str, Any] = {
            "time": iso_time(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id.get()
        if request_id:
            entry["request_id"] = request_id
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            text = self.formatException(record.exc_info)
            entry["exception"] = _SERVER_DETAIL.sub(r"\1: (withheld from the log)", text)
        return _ENCODER.encode(entry)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Nothing in a line names the thread, process or calling line: skip working them out
    # for every record (logging's own advice for speed; the access log writes one a request).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None
    # The server's own access log prints client addresses and query strings; ours does not.
    logging.getLogger("uvicorn.access").disabled = True
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
