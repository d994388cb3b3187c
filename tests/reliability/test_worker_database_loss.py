"""The delivery worker loses PostgreSQL and carries on by itself once it is back."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlmodel import Session

from app.models import TrustWebhook, WebhookDelivery
from app.services.webhooks import outbox
from app.services.webhooks.delivery import Courier, new_secret
from app.services.webhooks.worker import Plan, Worker
from tests.conftest import backend

pytestmark = pytest.mark.skipif(backend() != "postgresql", reason="needs PostgreSQL behind a proxy")

TRUST = "durham-tees-valley"


def test_a_worker_whose_database_goes_away_delivers_once_it_returns(
    direct_engine, proxied_engine, proxy
):
    with Session(direct_engine) as session:
        session.merge(
            TrustWebhook(trust_code=TRUST, url="https://hooks.example/omi", secret=new_secret())
        )
        session.commit()
    sent: list[str] = []

    def receive(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers["webhook-id"])
        return httpx.Response(204)

    courier = Courier(
        transport=httpx.MockTransport(receive), resolver=lambda host, port: ["81.2.69.142"]
    )
    worker = Worker(lambda: Session(proxied_engine), courier, Plan(delays=(0,)))
    assert worker.deliver_due() == 0  # the pool now holds a connection the cut will kill
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop, 0.05), daemon=True)
    proxy.cut()
    thread.start()
    try:
        with Session(direct_engine) as session:
            queued = outbox.enqueue(session, TRUST, "letter.published", None, {"n": 1}).id
            session.commit()
        time.sleep(0.5)  # polls that fail while the database is out of reach
        assert sent == [] and thread.is_alive()
        proxy.restore()
        deadline = time.monotonic() + 60
        while not sent and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        outbox.WAKE.set()
        thread.join(timeout=30)
    assert sent == [queued]
    with Session(direct_engine) as session:
        assert session.get(WebhookDelivery, queued).status == "delivered"
