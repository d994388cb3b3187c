"""Two `omi serve` processes on one PostgreSQL database behave as one service (SPEC 20).

Each server runs its own webhook delivery worker, as `omi serve` does by default. The
tests go through one server and look through the other: idempotency keys, the scores
cache and webhook deliveries are shared through the database, not kept in a process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from standardwebhooks import Webhook

from app import db
from app.models import WebhookAttempt, WebhookDelivery
from app.services.webhooks import outbox
from tests.builders import make_case, make_inspection
from tests.conftest import backend
from tests.live_server import OMI, _free_port, _wait_until_ready, omi, scratch_database
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.skipif(
    backend() != "postgresql", reason="many processes on one database need PostgreSQL"
)

TRUST = "durham-tees-valley"
PASSWORD = "two-servers-password-1"
# Retries every half second, long enough to outlast the receiver's outage in these tests.
SCHEDULE = ",".join(["0.5"] * 60)
WAIT_SECONDS = 120  # a loaded machine starts and answers slowly; nothing here is timed


def eventually(check: Callable[[], Any], what: str) -> Any:
    """Poll until check() gives something truthy; fail after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Server:
    name: str
    env: dict[str, str]
    folder: Path
    port: int = field(default_factory=_free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.folder / f"serve-{self.name}.log"
        with log.open("a") as log_file:
            self.process = subprocess.Popen(
                [OMI, "serve", "--port", str(self.port)], env=self.env, stderr=log_file
            )
        _wait_until_ready(self.url, self.process, log)

    def kill(self) -> None:
        """As a crash or an OOM kill would: no shutdown, no finishing what it was doing."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@dataclass
class Cluster:
    a: Server
    b: Server
    engine: Engine
    receiver: Receiver
    admin: dict[str, str]
    trust: dict[str, str]
    secret: str

    def inspection_with_letter_cases(self) -> str:
        """An inspection in fieldwork with enough of the trust's cases for a letter."""
        with Session(self.engine) as session:
            inspection = make_inspection(session)
            for number in range(10):
                make_case(
                    session, inspection, f"T-{number:03d}", {"rmp_sufficient": "yes"},
                    home_trust=TRUST,
                )  # fmt: skip
            session.commit()
            return inspection.id

    def deliveries(self, via: Server, **params: str) -> list[dict[str, Any]]:
        response = httpx.get(
            f"{via.url}/api/v1/trusts/{TRUST}/webhook/deliveries",
            params={"limit": "500", **params},
            headers=self.trust,
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()["items"]


def _token(server: Server, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{server.url}/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("two-servers")
    with scratch_database(folder) as database_url:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            # Development lets the receiver listen on loopback; the signing key is shared.
            "OMI_ENV": "development",
            "WEBHOOK_RETRY_SCHEDULE": SCHEDULE,
            "WEBHOOK_POLL_SECONDS": "0.2",
            "WEBHOOK_CLAIM_SECONDS": "20",
            "DB_POOL_SIZE": "4",
            # As in production: each server's caches learn of the other's writes by
            # notification (app/changes.py), not a query per read.
            "CHANGE_FEED": "true",
        }
        done = omi(env, "db", "upgrade")
        assert done.returncode == 0, done.stderr
        for username, role in (("admin", "admin"), ("trust-system", "trust")):
            extra = ["--trust", TRUST] if role == "trust" else []
            done = omi(
                env, "users", "add", username, "--role", role, *extra, "--password-stdin",
                stdin=PASSWORD + "\n",
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
        a, b = Server("a", env, folder), Server("b", env, folder)
        receiver = Receiver()
        engine = db.build_engine(database_url)
        try:
            a.start()
            b.start()
            trust = _token(a, "trust-system")
            registered = httpx.put(
                f"{b.url}/api/v1/trusts/{TRUST}/webhook",
                json={"url": receiver.url},
                headers=trust,
                timeout=30,
            )
            assert registered.status_code == 201, registered.text
            yield Cluster(
                a, b, engine, receiver, _token(b, "admin"), trust, registered.json()["secret"]
            )
        finally:
            a.stop()
            b.stop()
            receiver.close()
            engine.dispose()


def test_an_idempotent_retry_sent_to_the_other_server_replays(cluster):
    body = {
        "programme": "pomi",
        "framework": "omi-custody-2011",
        "establishment": "durham",
        "fieldwork_start": "2011-09-12",
    }
    key = {"Idempotency-Key": f"create-{uuid.uuid4().hex}"}
    first = httpx.post(
        f"{cluster.a.url}/api/v1/inspections", json=body, headers={**cluster.admin, **key}
    )
    assert first.status_code == 201, first.text
    retry = httpx.post(
        f"{cluster.b.url}/api/v1/inspections", json=body, headers={**cluster.admin, **key}
    )
    assert retry.status_code == 201
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json() == first.json()
    assert retry.headers["Location"] == first.headers["Location"]
    listed = httpx.get(
        f"{cluster.b.url}/api/v1/inspections", params={"limit": 500}, headers=cluster.admin
    ).json()
    assert [item["id"] for item in listed["items"]].count(first.json()["id"]) == 1
    # The same key with another body, through either server, is refused.
    other = httpx.post(
        f"{cluster.b.url}/api/v1/inspections",
        json={**body, "fieldwork_start": "2011-10-03"},
        headers={**cluster.admin, **key},
    )
    assert other.status_code == 422


def test_the_same_key_through_both_servers_at_once_creates_one_inspection(cluster):
    body = {
        "programme": "pomi",
        "framework": "omi-custody-2011",
        "establishment": "durham",
        "fieldwork_start": "2012-01-09",
    }
    key = {"Idempotency-Key": f"race-{uuid.uuid4().hex}"}
    start = threading.Barrier(2)
    answers: dict[str, httpx.Response] = {}

    def send(server: Server) -> None:
        start.wait()
        answers[server.name] = httpx.post(
            f"{server.url}/api/v1/inspections",
            json=body,
            headers={**cluster.admin, **key},
            timeout=60,
        )

    threads = [threading.Thread(target=send, args=(s,)) for s in (cluster.a, cluster.b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(answer.status_code for answer in answers.values())
    # Either the second found the first's response, or met it being written and was told
    # to retry; never two inspections.
    assert statuses in ([201, 201], [201, 409]), statuses
    created = {a.json()["id"] for a in answers.values() if a.status_code == 201}
    assert len(created) == 1
    retry = httpx.post(
        f"{cluster.a.url}/api/v1/inspections", json=body, headers={**cluster.admin, **key}
    )
    assert retry.status_code == 201 and retry.json()["id"] in created


def _rmp_yes(document: dict[str, Any]) -> int:
    instrument = next(i for i in document["instruments"] if i["code"] == "case_file")
    return next(q for q in instrument["questions"] if q["code"] == "rmp_sufficient")["yes"]


def test_a_write_through_one_server_is_seen_by_a_scores_read_through_the_other(cluster):
    inspection = cluster.inspection_with_letter_cases()
    scores = f"{cluster.b.url}/api/v1/inspections/{inspection}/scores"
    before = httpx.get(scores, headers=cluster.admin, timeout=30)
    assert before.status_code == 200
    assert _rmp_yes(before.json()) == 10
    # Read twice, so B holds the document in its cache.
    assert httpx.get(scores, headers=cluster.admin, timeout=30).json() == before.json()
    cases = httpx.get(
        f"{cluster.a.url}/api/v1/inspections/{inspection}/cases",
        params={"limit": 1},
        headers=cluster.admin,
        timeout=30,
    ).json()["items"]
    patched = httpx.patch(
        f"{cluster.a.url}/api/v1/cases/{cases[0]['id']}",
        json={"answers": {"rmp_sufficient": "no"}},
        headers=cluster.admin,
        timeout=30,
    )
    assert patched.status_code == 200, patched.text
    after = httpx.get(scores, headers=cluster.admin, timeout=30)
    assert _rmp_yes(after.json()) == 9
    assert after.headers["etag"] != before.headers["etag"]
    # B's earlier ETag no longer matches: a poller is told the figures changed.
    revalidated = httpx.get(
        scores, headers={**cluster.admin, "If-None-Match": before.headers["etag"]}, timeout=30
    )
    assert revalidated.status_code == 200


def _publish_letter(cluster: Cluster, via: Server) -> dict[str, Any]:
    inspection = cluster.inspection_with_letter_cases()
    drafted = httpx.post(
        f"{via.url}/api/v1/inspections/{inspection}/findings-letters",
        headers=cluster.admin,
        timeout=60,
    )
    assert drafted.status_code == 201, drafted.text
    [letter] = [item for item in drafted.json()["items"] if item["trust"]["code"] == TRUST]
    published = httpx.post(
        f"{via.url}/api/v1/findings-letters/{letter['id']}/publish",
        headers=cluster.admin,
        timeout=60,
    )
    assert published.status_code == 200, published.text
    return published.json()


def _delivery_of(cluster: Cluster, letter_id: str, via: Server) -> dict[str, Any]:
    [delivery] = [d for d in cluster.deliveries(via) if d["letter"] == letter_id]
    return delivery


def test_a_published_letter_is_delivered_exactly_once_with_both_workers_running(cluster):
    letter = _publish_letter(cluster, cluster.a)
    delivery = _delivery_of(cluster, letter["id"], cluster.b)
    eventually(lambda: cluster.receiver.for_delivery(delivery["id"]), "the delivery")
    shown = eventually(
        lambda: [
            d for d in cluster.deliveries(cluster.b)
            if d["id"] == delivery["id"] and d["status"] == "delivered"
        ],
        "the delivery recorded as delivered",
    )[0]  # fmt: skip
    [received] = cluster.receiver.for_delivery(delivery["id"])
    assert shown["attempts"] == 1 and shown["last_http_status"] == 204
    event = Webhook(cluster.secret).verify(received.body, received.headers)
    assert event["type"] == "letter.published" and event["data"]["letter"] == letter["id"]


def test_many_queued_events_are_each_sent_once_by_two_competing_workers(cluster):
    with Session(cluster.engine) as session:
        queued = [
            outbox.enqueue(session, TRUST, "letter.published", None, {"n": number}).id
            for number in range(40)
        ]
        session.commit()  # committed here, in neither server: both workers poll for it

    def all_delivered() -> bool:
        with Session(cluster.engine) as session:
            rows = session.exec(
                select(WebhookDelivery.status).where(WebhookDelivery.id.in_(queued))  # type: ignore[attr-defined]  # sqlmodel types the column as str
            ).all()
        return len(rows) == len(queued) and set(rows) == {"delivered"}

    eventually(all_delivered, "every queued event delivered")
    for delivery_id in queued:
        assert len(cluster.receiver.for_delivery(delivery_id)) == 1, delivery_id
    with Session(cluster.engine) as session:
        attempts = session.exec(
            select(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(queued))  # type: ignore[attr-defined]  # as above
        ).all()
    assert len(attempts) == len(queued)


def test_a_receiver_down_at_first_gets_the_event_after_the_queueing_server_restarts(cluster):
    receiver = cluster.receiver
    receiver.down = True
    letter = _publish_letter(cluster, cluster.a)
    delivery = _delivery_of(cluster, letter["id"], cluster.b)
    eventually(lambda: len(receiver.for_delivery(delivery["id"])) >= 2, "two failed attempts")
    # The server that queued the event dies, and the other with it: nothing is in memory.
    cluster.a.kill()
    cluster.b.kill()
    failed_so_far = receiver.for_delivery(delivery["id"])
    assert all(r.answered == 503 for r in failed_so_far)
    receiver.down = False
    cluster.a.start()
    try:
        eventually(
            lambda: any(r.answered == 204 for r in receiver.for_delivery(delivery["id"])),
            "the delivery after the restart",
        )
        shown = eventually(
            lambda: [
                d for d in cluster.deliveries(cluster.a)
                if d["id"] == delivery["id"] and d["status"] == "delivered"
            ],
            "the delivery recorded as delivered",
        )[0]  # fmt: skip
    finally:
        cluster.b.start()
    requests = receiver.for_delivery(delivery["id"])
    assert [r.answered for r in requests].count(204) == 1
    assert shown["attempts"] >= len(failed_so_far) + 1
    # Every attempt carried the same id and verifies; the event is the one queued.
    for request in requests:
        event = Webhook(cluster.secret).verify(request.body, request.headers)
        assert event["data"]["letter"] == letter["id"]
    assert json.loads(requests[-1].body) == json.loads(requests[0].body)
