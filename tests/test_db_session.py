"""The per-request session: committed on success, rolled back on failure, always closed."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from app import db


class RecordingSession:
    """Stands in for a Session: records what the request's unit of work did with it."""

    def __init__(self, *_: Any, fail_commit: bool = False, **__: Any) -> None:
        self.calls: list[str] = []
        self.fail_commit = fail_commit

    def commit(self) -> None:
        self.calls.append("commit")
        if self.fail_commit:
            raise RuntimeError("the database refused the commit")

    def rollback(self) -> None:
        self.calls.append("rollback")

    def close(self) -> None:
        self.calls.append("close")


@pytest.fixture
def sessions(monkeypatch) -> list[RecordingSession]:
    made: list[RecordingSession] = []

    def factory(*args: Any, **kwargs: Any) -> RecordingSession:
        made.append(RecordingSession(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(db, "Session", factory)
    monkeypatch.setattr(db, "get_engine", lambda: None)
    return made


async def run_request(handler_error: BaseException | None = None) -> None:
    requests = db.get_session()
    await requests.__anext__()
    if handler_error is None:
        with pytest.raises(StopAsyncIteration):
            await requests.__anext__()
    else:
        with pytest.raises(type(handler_error)):
            await requests.athrow(handler_error)


def test_a_request_that_succeeds_is_committed_and_closed(sessions):
    anyio.run(run_request)
    assert sessions[0].calls == ["commit", "close"]


def test_a_request_that_fails_is_rolled_back_and_closed(sessions):
    anyio.run(run_request, ValueError("the handler failed"))
    assert sessions[0].calls == ["rollback", "close"]


def test_a_failed_commit_is_rolled_back_closed_and_raised(sessions, monkeypatch):
    refusing = RecordingSession(fail_commit=True)
    monkeypatch.setattr(db, "Session", lambda *_, **__: refusing)
    with pytest.raises(RuntimeError, match="refused the commit"):
        anyio.run(run_request)
    assert refusing.calls == ["commit", "rollback", "close"]


def test_a_cancelled_request_still_ends_its_session(sessions):
    async def cancelled() -> None:
        with anyio.CancelScope() as scope:
            requests = db.get_session()
            await requests.__anext__()
            scope.cancel()
            try:
                await anyio.sleep(1)
            except BaseException as exc:  # the cancellation, as the handler would see it
                with pytest.raises(type(exc)):
                    await requests.athrow(exc)
                raise

    anyio.run(cancelled)
    assert sessions[0].calls == ["rollback", "close"]
