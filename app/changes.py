"""Which cached reads are still fresh, told by the database instead of asked on every read.

On PostgreSQL, triggers on the tables that cached reads depend on send a notification
when a transaction that changed them commits (migration `20261201_change_notifications`):
`inspection:<id>` for an inspection and the rows under it, `accounts` for user accounts
and service clients, `letters` for findings letters, `reference` for the estate, the
probation areas, the programmes and the frameworks (migration
`20261201_reference_notifications`). One listener thread per process counts them per key,
and counts every inspection's and the reference data's changes once more under
`aggregates`: what an aggregate across inspections pools. A cached value remembers the
count it was computed under, and is served with no database round trip while the count
stays the same.

The feed answers "I can't say" (None) whenever it might have missed a change: before
its listener has connected, after the connection dropped (until it is back, and then
everything cached before is stale), and on SQLite, which has no notifications. Readers
then check the database as they always did. A commit in this process also makes every
value this process cached stale at once, so a client that reads after its own write
never waits for the notification to come round.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url

log = logging.getLogger("omi.changes")

CHANNEL = "omi_changes"
ACCOUNTS = "accounts"
LETTERS = "letters"
REFERENCE = "reference"
AGGREGATES = "aggregates"
INSPECTION_PREFIX = "inspection:"
# How the listener's connection is named in pg_stat_activity.
APPLICATION = "omi-change-feed"


def inspection_key(inspection_id: str) -> str:
    return INSPECTION_PREFIX + inspection_id


def counted_under(key: str) -> tuple[str, ...]:
    """The keys a notification counts under: its own, and `aggregates` for any change an
    aggregate across inspections could show."""
    if key.startswith(INSPECTION_PREFIX) or key == REFERENCE:
        return (key, AGGREGATES)
    return (key,)


@dataclass(frozen=True)
class Token:
    """What a cached value was computed under: the feed's epoch and its key's count."""

    epoch: int
    count: int


# How long the feed vouches for caches after its listener last heard from the database.
# The listener asks every second; a connection that hangs without failing (a stalled
# link, a stuck proxy) would otherwise vouch until TCP gave up, minutes later.
HEARD_WITHIN = 3.0


class ChangeFeed:
    """Counts of committed changes per key, and whether they can be trusted right now."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._epoch = 0
        self._live = False
        self._clock = clock
        self._heard_at = float("-inf")

    def token(self, key: str) -> Token | None:
        """The key's current token, or None while the feed may have missed a change."""
        with self._lock:
            if not self._live or self._clock() - self._heard_at > HEARD_WITHIN:
                return None
            return Token(self._epoch, self._counts.get(key, 0))

    def fresh(self, key: str, token: Token | None) -> bool:
        return token is not None and token == self.token(key)

    def note(self, key: str) -> None:
        with self._lock:
            for counted in counted_under(key):
                self._counts[counted] = self._counts.get(counted, 0) + 1

    def heard(self) -> None:
        """The listener's connection answered: it has passed on every notification so far."""
        with self._lock:
            now = self._clock()
            if now - self._heard_at > HEARD_WITHIN:
                # Silent too long: what was kept before may have missed a change.
                self._epoch += 1
            self._heard_at = now

    def invalidate_all(self) -> None:
        """Everything cached so far is stale: a local commit, or a reconnected listener."""
        with self._lock:
            self._epoch += 1

    def set_live(self, live: bool) -> None:
        with self._lock:
            # Whatever was cached while the listener could not hear is stale either way.
            self._epoch += 1
            self._live = live
            if live:
                self._heard_at = self._clock()


feed = ChangeFeed()


WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE")
# The table a plain write names; a write this does not read counts as seen.
WRITE_TARGET = re.compile(r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.I)
# Bookkeeping no cached read shows: a login's throttle count or a delivery attempt must
# not make every kept answer stale.
UNSEEN_TABLES = frozenset(
    {
        "audit_event",
        "login_failure_count",
        "idempotency_record",
        "webhook_delivery",
        "webhook_attempt",
    }
)


@event.listens_for(Engine, "after_cursor_execute")
def _remember_writes(
    connection: Connection,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    context: Any,
    _many: bool,
) -> None:
    if not statement.lstrip()[:6].upper().startswith(WRITES):
        return
    target = WRITE_TARGET.match(statement)
    if target is None or target.group(1).lower() not in UNSEEN_TABLES:
        connection.info["wrote"] = True


@event.listens_for(Engine, "commit")
def _stale_after_local_commit(connection: Connection) -> None:
    if connection.info.pop("wrote", False):
        feed.invalidate_all()


@event.listens_for(Engine, "rollback")
def _forget_rolled_back_writes(connection: Connection) -> None:
    connection.info.pop("wrote", None)


class Listener:
    """A thread holding one connection that LISTENs, reconnecting until stopped."""

    def __init__(self, database_url: str, changes: ChangeFeed = feed) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self.dsn = url.render_as_string(hide_password=False)
        self.changes = changes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="omi-change-feed", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.changes.set_live(False)

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self.dsn,
                    autocommit=True,
                    connect_timeout=5,
                    application_name=APPLICATION,
                    # Unacknowledged for 5 s: the link is gone; fail and reconnect.
                    tcp_user_timeout=5000,
                ) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.changes.set_live(True)
                    delay = 0.5
                    while not self._stop.is_set():
                        for notice in connection.notifies(timeout=1.0):
                            self.changes.note(notice.payload)
                        # A connection can die, or hang, without a word: ask. Until it
                        # answers, the feed stops vouching HEARD_WITHIN after the last
                        # answer (ChangeFeed.token).
                        connection.execute("SELECT 1")
                        # Drain what arrived with the answer before vouching again.
                        for notice in connection.notifies(timeout=0):
                            self.changes.note(notice.payload)
                        self.changes.heard()
            except psycopg.Error as exc:
                log.warning("change feed lost its connection", extra={"error": type(exc).__name__})
            self.changes.set_live(False)
            self._stop.wait(delay)
            delay = min(delay * 2, 10)


def listener_for(database_url: str) -> Listener | None:
    """A listener for a PostgreSQL database; None for SQLite, which has no notifications."""
    if make_url(database_url).get_backend_name() != "postgresql":
        return None
    return Listener(database_url)


def wait_until_live(seconds: float = 5.0) -> bool:
    """For tests and benchmarks: whether the feed went live within the time given."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if feed.token(ACCOUNTS) is not None:
            return True
        time.sleep(0.02)
    return False


@dataclass(frozen=True)
class Kept:
    body: bytes
    etag: str
    token: Token


class KeptBodies:
    """Response bodies kept under one change-feed key, served while the feed vouches for them.

    Nothing is kept while the feed cannot vouch (SQLite, or its listener not connected):
    readers then compute every answer, as they would without this. At most `entries`
    bodies and `max_bytes` of them are kept, the least recently used dropped first.
    """

    def __init__(
        self,
        key: str,
        entries: int = 1024,
        max_bytes: int = 32 * 2**20,
        changes: ChangeFeed = feed,
    ) -> None:
        self.key = key
        self.entries = entries
        self.max_bytes = max_bytes
        self.changes = changes
        self._kept: OrderedDict[Hashable, Kept] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def token(self) -> Token | None:
        """Take before computing an answer: it is kept under the token taken before."""
        return self.changes.token(self.key)

    def get(self, key: Hashable) -> Kept | None:
        with self._lock:
            kept = self._kept.get(key)
        if kept is None:
            return None
        fresh = self.changes.fresh(self.key, kept.token)
        with self._lock:
            if self._kept.get(key) is kept:
                if fresh:
                    self._kept.move_to_end(key)
                else:
                    # Stale for good: the feed's counts only grow. Free its bytes now.
                    del self._kept[key]
                    self._bytes -= len(kept.body)
        return kept if fresh else None

    def put(self, key: Hashable, body: bytes, etag: str, token: Token | None) -> None:
        if token is None or len(body) > self.max_bytes:
            return
        with self._lock:
            replaced = self._kept.pop(key, None)
            if replaced is not None:
                self._bytes -= len(replaced.body)
            self._kept[key] = Kept(body, etag, token)
            self._bytes += len(body)
            while len(self._kept) > self.entries or self._bytes > self.max_bytes:
                _, dropped = self._kept.popitem(last=False)
                self._bytes -= len(dropped.body)
