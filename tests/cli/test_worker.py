"""The delivery worker as an operator runs it: inside `omi serve`, or as `omi worker`."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session
from standardwebhooks import Webhook

from app import db
from app.models import TrustWebhook
from app.services.webhooks import outbox
from app.services.webhooks.delivery import new_secret
from tests.builders import make_case, make_inspection
from tests.live_server import live_server, omi, scratch_database
from tests.webhook_receiver import Receiver

TRUST = "durham-tees-valley"
PASSWORD = "worker-cli-password-1"
# Development lets the receiver listen on loopback.
ENV = {"OMI_ENV": "development", "WEBHOOK_POLL_SECONDS": "0.2"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    yield running
    running.close()


def _register(database_url: str, url: str) -> str:
    engine = db.build_engine(database_url)
    secret = new_secret()
    with Session(engine) as session:
        session.add(TrustWebhook(trust_code=TRUST, url=url, secret=secret))
        session.commit()
    engine.dispose()
    return secret


def test_omi_worker_once_delivers_what_is_due_and_exits(tmp_path: Path, receiver):
    with scratch_database(tmp_path) as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, **ENV}
        assert omi(env, "db", "upgrade").returncode == 0
        secret = _register(database_url, receiver.url)
        engine = db.build_engine(database_url)
        with Session(engine) as session:
            queued = outbox.enqueue(session, TRUST, "letter.published", None, {"letter": "x"}).id
            session.commit()
        engine.dispose()
        done = omi(env, "worker", "--once")
        assert done.returncode == 0, done.stderr
        assert "attempted: 1" in done.stdout
        [received] = receiver.for_delivery(queued)
        assert Webhook(secret).verify(received.body, received.headers)["data"] == {"letter": "x"}
        again = omi(env, "worker", "--once")  # delivered: nothing is due any more
        assert "attempted: 0" in again.stdout
        assert len(receiver.for_delivery(queued)) == 1


def test_omi_serve_alone_delivers_a_published_letter(tmp_path: Path, receiver):
    secrets: list[str] = []

    def prepare(env: dict[str, str]) -> None:
        done = omi(env, "users", "add", "admin", "--role", "admin", "--password-stdin",
                   stdin=PASSWORD)  # fmt: skip
        assert done.returncode == 0, done.stderr
        engine = db.build_engine(env["DATABASE_URL"])
        with Session(engine) as session:
            inspection = make_inspection(session)
            for number in range(10):
                make_case(session, inspection, f"S-{number:03d}", home_trust=TRUST)
            session.commit()
        engine.dispose()
        secrets.append(_register(env["DATABASE_URL"], receiver.url))

    with live_server(tmp_path, ENV, prepare) as server:
        token = httpx.post(
            f"{server.url}/api/v1/auth/token",
            data={"grant_type": "password", "username": "admin", "password": PASSWORD},
        ).json()["access_token"]
        admin = {"Authorization": f"Bearer {token}"}
        inspection = httpx.get(f"{server.url}/api/v1/inspections", headers=admin).json()
        drafted = httpx.post(
            f"{server.url}/api/v1/inspections/{inspection['items'][0]['id']}/findings-letters",
            headers=admin,
            timeout=60,
        ).json()["items"]
        letter = drafted[0]["id"]
        published = httpx.post(
            f"{server.url}/api/v1/findings-letters/{letter}/publish", headers=admin, timeout=60
        )
        assert published.status_code == 200
        deadline = time.monotonic() + 60  # a loaded machine; nothing here is timed
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.1)
        [received] = receiver.requests
        event = Webhook(secrets[0]).verify(received.body, received.headers)
        assert (event["type"], event["data"]["letter"]) == ("letter.published", letter)
