"""Counts failed logins in the database, so every process behind one database shares a limit.

Three counts, each in a window of `LOGIN_WINDOW_SECONDS` that starts at its first failure:

- per account and address (`LOGIN_MAX_FAILURES`, 5): a guesser at one address stops there,
  and another account behind the same address (a trust's systems share one egress) is
  never held back by it;
- per account, whatever the address (`LOGIN_ACCOUNT_MAX_FAILURES`, 20): guesses spread
  over many addresses; one address alone can never lock an account for everyone;
- per address (`LOGIN_ADDRESS_MAX_FAILURES`, 100; 0 turns it off; never below 50):
  a ceiling against password spraying over many accounts.

An attempt is counted before its credentials are checked and the count is committed at
once, so a burst of parallel guesses, even to several processes, cannot pass the check
before the first of them fails. Each count is one row, changed by a single upsert that
takes the row's lock (PostgreSQL) or the database's write lock (SQLite), so two processes
never both see room for one more. A refused attempt counts nothing.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, case, delete, inspect, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from app.models import LoginFailureCount, utcnow
from app.models.base import UTCDateTime

TABLE = cast(Table, inspect(LoginFailureCount).local_table)


def digest(kind: str, value: str) -> str:
    """The stored key: what is counted, never the name or address itself."""
    return hashlib.sha256(f"{kind}\x00{value}".encode()).hexdigest()


@dataclass(frozen=True)
class Count:
    kind: str  # "account", "account_address" or "address"
    key: str
    max_failures: int


@dataclass
class Admission:
    """The outcome of `admit`: seconds to wait (0 when admitted) and what was counted."""

    wait: int
    counts: list[Count] = field(default_factory=list)
    # The window each counted key was in, so a withdrawal only touches that window.
    windows: dict[str, datetime] = field(default_factory=dict)


class LoginThrottle:
    def __init__(
        self,
        max_failures: int,
        window_seconds: int,
        *,
        account_max_failures: int | None = None,
        address_max_failures: int = 0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.max_failures = max_failures
        self.account_max_failures = account_max_failures or max_failures
        self.address_max_failures = address_max_failures
        self.window = timedelta(seconds=window_seconds)
        self.clock = clock

    def counts(self, account: str, address: str) -> list[Count]:
        """The counts an attempt on `account` (say "user:alice") from `address` adds to."""
        found = [
            Count("account_address", digest("account_address", f"{account}\x00{address}"),
                  self.max_failures),
            Count("account", digest("account", account), self.account_max_failures),
        ]  # fmt: skip
        if self.address_max_failures:
            found.append(Count("address", digest("address", address), self.address_max_failures))
        # One order for every transaction, so two attempts never wait on each other's rows.
        return sorted(found, key=lambda count: count.key)

    def admit(self, session: Session, account: str, address: str) -> Admission:
        """Count an attempt, or refuse it (counting nothing) when any of its counts is full.

        The caller commits, before checking the credentials, so other processes see it.
        """
        now = self.clock()
        counts = self.counts(account, address)
        windows: dict[str, datetime] = {}
        wait = 0.0
        savepoint = session.begin_nested()
        try:
            for count in counts:
                failures, window_start = self._add_one(session, count.key, now)
                windows[count.key] = window_start
                if failures > count.max_failures:
                    wait = max(wait, (window_start + self.window - now).total_seconds())
        except BaseException:
            savepoint.rollback()
            raise
        if wait > 0:
            savepoint.rollback()
            return Admission(max(1, math.ceil(wait)))
        savepoint.commit()
        return Admission(0, counts, windows)

    def _add_one(self, session: Session, key: str, now: datetime) -> tuple[int, datetime]:
        dialect = session.get_bind().dialect.name
        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stamp = literal(now, UTCDateTime())
        expired = TABLE.c.window_start <= literal(now - self.window, UTCDateTime())
        statement = (
            insert(TABLE)
            .values(key=key, failures=1, window_start=now)
            .on_conflict_do_update(
                index_elements=[TABLE.c.key],
                set_={
                    "failures": case((expired, 1), else_=TABLE.c.failures + 1),
                    "window_start": case((expired, stamp), else_=TABLE.c.window_start),
                },
            )
            .returning(TABLE.c.failures, TABLE.c.window_start)
        )
        failures, window_start = session.connection().execute(statement).one()
        return int(failures), window_start

    def withdraw(self, session: Session, admission: Admission, kinds: Sequence[str] = ()) -> None:
        """Stop counting an admitted attempt (of these kinds of count, or all of them)."""
        for count in admission.counts:
            if kinds and count.kind not in kinds:
                continue
            session.connection().execute(
                update(TABLE)
                .where(
                    TABLE.c.key == count.key,
                    TABLE.c.window_start == admission.windows[count.key],
                    TABLE.c.failures > 0,
                )
                .values(failures=TABLE.c.failures - 1)
            )

    def succeeded(self, session: Session, admission: Admission) -> None:
        """A good login: the account starts afresh everywhere; its address keeps its other
        failures but not this attempt. Expired counts are cleared on the way."""
        cleared = [c.key for c in admission.counts if c.kind in ("account", "account_address")]
        self.withdraw(session, admission, kinds=("address",))
        if cleared:
            session.connection().execute(delete(TABLE).where(TABLE.c.key.in_(cleared)))
        self.prune(session)

    def prune(self, session: Session) -> None:
        """Forget windows that have ended."""
        cutoff = self.clock() - self.window
        session.connection().execute(
            delete(TABLE).where(col(LoginFailureCount.window_start) <= cutoff)
        )

    def reset_all(self, session: Session) -> None:
        session.connection().execute(delete(TABLE))
