"""The access log: a JSON line per request, written a batch at a time, none lost."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from app.logs import JsonFormatter
from app.web import access_log as module
from app.web.access_log import AccessLog


class Lines(logging.Handler):
    """The lines a handler with the service's formatter writes."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.written: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.written.extend(self.format(record).splitlines())


@pytest.fixture
def logged():
    logger = logging.getLogger("omi.access.test")
    lines = Lines()
    logger.addHandler(lines)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    yield logger, lines
    logger.removeHandler(lines)


def test_lines_are_written_within_the_batch_time(logged):
    logger, lines = logged
    log = AccessLog(logger)

    async def three_requests() -> list[str]:
        for number in range(3):
            log.request(f"id-{number}", "GET", f"/api/v1/x/{number}", 200, 1.5)
        before = list(lines.written)
        await asyncio.sleep(module.BATCH_SECONDS * 2)
        return before

    assert asyncio.run(three_requests()) == []
    entries = [json.loads(line) for line in lines.written]
    assert [entry["request_id"] for entry in entries] == ["id-0", "id-1", "id-2"]
    assert entries[0] | {"time": None} == {
        "time": None,
        "level": "info",
        "logger": "omi.access.test",
        "message": "request",
        "request_id": "id-0",
        "method": "GET",
        "path": "/api/v1/x/0",
        "status": 200,
        "duration_ms": 1.5,
    }


def test_a_full_batch_is_written_at_once(logged, monkeypatch):
    logger, lines = logged
    monkeypatch.setattr(module, "BATCH_LINES", 2)
    log = AccessLog(logger)

    async def two_requests() -> int:
        log.request("a", "GET", "/a", 200, 1.0)
        log.request("b", "POST", "/b", 201, 1.0)
        return len(lines.written)

    assert asyncio.run(two_requests()) == 2


def test_kept_lines_are_written_when_the_app_stops(logged):
    logger, lines = logged
    log = AccessLog(logger)

    async def one_request() -> None:
        log.request("a", "GET", "/a", 200, 1.0)

    asyncio.run(one_request())  # the loop ends before the batch is due
    log.flush()
    assert [json.loads(line)["request_id"] for line in lines.written] == ["a"]


def test_nothing_is_kept_below_the_info_level(logged):
    logger, lines = logged
    logger.setLevel(logging.WARNING)
    log = AccessLog(logger)

    async def one_request() -> None:
        log.request("a", "GET", "/a", 200, 1.0)

    asyncio.run(one_request())
    log.flush()
    assert lines.written == []


def test_the_app_writes_a_line_per_request(client, caplog):
    with caplog.at_level(logging.INFO, logger="omi.access"):
        client.get("/health/live", headers={"X-Request-ID": "req-123"})
        module.access_log.flush()
    batches = [record for record in caplog.records if hasattr(record, "json_lines")]
    entries = [json.loads(line) for record in batches for line in record.json_lines]
    assert {"request_id": "req-123", "path": "/health/live", "status": 200}.items() <= next(
        entry for entry in entries if entry["request_id"] == "req-123"
    ).items()
