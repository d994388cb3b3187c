"""The webhook delivery worker as the command line runs it: beside `omi serve`, or alone."""

from __future__ import annotations

import signal
import threading

from sqlmodel import Session

from app.config import Settings
from app.db import get_engine
from app.services.webhooks.delivery import Courier
from app.services.webhooks.worker import Plan, Worker


def _sessions() -> Session:
    return Session(get_engine(), expire_on_commit=False)


def from_settings(settings: Settings) -> Worker:
    courier = Courier(
        allow_loopback=settings.is_development, timeout_seconds=settings.webhook_timeout_seconds
    )
    return Worker(_sessions, courier, Plan.of(settings))


def start_in_background(settings: Settings) -> threading.Thread:
    """The worker on a daemon thread of this process, as `omi serve` runs it: it ends with
    the process, and a send cut short is sent again once its claim lapses."""
    worker = from_settings(settings)
    thread = threading.Thread(
        target=worker.run,
        args=(threading.Event(), settings.webhook_poll_seconds),
        name="webhooks",
        daemon=True,
    )
    thread.start()
    return thread


def run_in_foreground(settings: Settings, *, once: bool) -> int:
    """`omi worker`: deliver until SIGTERM or SIGINT; with once, what is due now, then exit."""
    worker = from_settings(settings)
    if once:
        total = 0
        while attempted := worker.deliver_due():
            total += attempted
        print(f"webhook deliveries attempted: {total}")
        return 0
    stop = threading.Event()

    def finish(_signal: int, _frame: object) -> None:
        stop.set()
        from app.services.webhooks.outbox import WAKE

        WAKE.set()

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    worker.run(stop, settings.webhook_poll_seconds)
    return 0
