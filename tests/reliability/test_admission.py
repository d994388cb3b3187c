"""More concurrent requests than connections: no hang, a 503 with Retry-After at worst,
and liveness answered throughout."""

from __future__ import annotations

import threading
from collections import Counter

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete as sql_delete
from sqlmodel import Session

from app import config, db
from app.auth.security import issue_token
from app.main import create_app
from app.models import Inspection, UserAccount
from app.web.admission import Admission, thread_limit
from app.web.middleware import ServiceMiddleware
from tests.builders import make_inspection

CONNECTIONS = 2


@pytest.fixture
def small_pool(database_url, monkeypatch):
    """The app with two connections (so two requests admitted at once) on its own engine."""
    monkeypatch.setenv("DB_POOL_SIZE", str(CONNECTIONS))
    config.get_settings.cache_clear()
    engine = db.build_engine(database_url)
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    with Session(engine) as setup:
        inspection = make_inspection(setup)
        user = UserAccount(username=f"pool-{inspection.id}", password_hash="x", roles=["admin"])
        setup.add(user)
        setup.commit()
        inspection_id, user_id = inspection.id, user.id
        token, _ = issue_token(f"user:{user.id}", ["admin"], None)
    yield engine, inspection_id, {"Authorization": f"Bearer {token}"}
    with Session(engine) as cleanup:
        cleanup.exec(sql_delete(Inspection).where(Inspection.id == inspection_id))
        cleanup.exec(sql_delete(UserAccount).where(UserAccount.id == user_id))
        cleanup.commit()
    engine.dispose()
    monkeypatch.delenv("DB_POOL_SIZE")
    config.get_settings.cache_clear()


def test_forty_readers_on_two_connections_all_finish(small_pool):
    engine, inspection_id, who = small_pool
    readers = 40
    barrier = threading.Barrier(readers)
    answers: list[httpx.Response | None] = [None] * readers
    with TestClient(create_app(), raise_server_exceptions=False) as client:

        def read(number: int) -> None:
            barrier.wait()
            answers[number] = client.get(f"/api/v1/inspections/{inspection_id}", headers=who)

        threads = [threading.Thread(target=read, args=(n,)) for n in range(readers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not any(thread.is_alive() for thread in threads), "requests hung"
        assert client.get("/health/live").status_code == 200
    codes = Counter(answer.status_code for answer in answers if answer is not None)
    assert sum(codes.values()) == readers
    assert set(codes) <= {200, 503}, codes
    for answer in answers:
        if answer is not None and answer.status_code == 503:
            assert int(answer.headers["retry-after"]) > 0
    # Never more connections than the pool holds: nothing overflowed.
    assert engine.pool.checkedout() == 0
    assert engine.pool.size() == CONNECTIONS


def _held_app(started: anyio.Event, release: anyio.Event):
    async def app(scope, receive, send) -> None:
        if scope["path"] == "/hold":
            started.set()
            await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def test_a_request_beyond_the_limit_waits_then_gets_503_with_retry_after():
    async def scenario() -> tuple[int, int, str, int, int]:
        started, release = anyio.Event(), anyio.Event()
        gate = ServiceMiddleware(
            _held_app(started, release),
            routes=[],
            admission=Admission(limit=1, wait_seconds=0.05),
            default_limit=1024,
            upload_limit=1024,
        )
        transport = httpx.ASGITransport(app=gate)
        async with httpx.AsyncClient(transport=transport, base_url="http://omi") as client:
            results: dict[str, httpx.Response] = {}

            async def hold() -> None:
                results["held"] = await client.get("/hold")

            async with anyio.create_task_group() as tasks:
                tasks.start_soon(hold)
                await started.wait()
                refused = await client.get("/other")
                live = await client.get("/health/live")  # exempt: never queues
                release.set()
            after = await client.get("/other")  # the place is free again
        return (
            refused.status_code,
            int(refused.headers["retry-after"]),
            refused.headers["content-type"],
            live.status_code,
            after.status_code + results["held"].status_code,
        )

    status, retry_after, media_type, live, after = anyio.run(scenario)
    assert (status, media_type, live, after) == (503, "application/problem+json", 200, 400)
    assert retry_after > 0


def test_threads_are_sized_with_the_admitted_requests():
    assert thread_limit(10) > 10
