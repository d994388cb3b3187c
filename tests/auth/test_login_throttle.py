"""The login throttle: counts in the database, per account and address, per account, per address."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from app.auth.login_throttle import LoginThrottle
from app.models import LoginFailureCount


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)


def throttle(clock: Clock, **limits: int) -> LoginThrottle:
    return LoginThrottle(
        limits.get("pair", 3),
        60,
        account_max_failures=limits.get("account", 100),
        address_max_failures=limits.get("address", 0),
        clock=clock,
    )


def test_admitted_attempts_count_before_their_outcome_is_known(session):
    limits = throttle(Clock())
    waits = [limits.admit(session, "user:a", "10.0.0.1").wait for _ in range(5)]
    assert waits == [0, 0, 0, 60, 60]


def test_one_accounts_failures_never_hold_back_another_at_the_same_address(session):
    limits = throttle(Clock(), pair=3, address=0)
    for _ in range(3):
        assert limits.admit(session, "user:a", "10.0.0.1").wait == 0
    assert limits.admit(session, "user:a", "10.0.0.1").wait > 0
    assert limits.admit(session, "user:b", "10.0.0.1").wait == 0
    # The same account elsewhere is not held back by one address's guesses either.
    assert limits.admit(session, "user:a", "10.0.0.2").wait == 0


def test_the_account_limit_counts_every_address(session):
    limits = throttle(Clock(), pair=3, account=4)
    for number in range(4):
        assert limits.admit(session, "user:a", f"10.0.0.{number}").wait == 0
    assert limits.admit(session, "user:a", "10.0.9.9").wait == 60


def test_the_address_ceiling_counts_every_account(session):
    limits = throttle(Clock(), pair=3, address=50)
    for number in range(50):
        assert limits.admit(session, f"user:{number}", "192.0.2.7").wait == 0
    assert limits.admit(session, "user:fresh", "192.0.2.7").wait == 60
    assert limits.admit(session, "user:fresh", "192.0.2.8").wait == 0


def test_a_refused_attempt_counts_nothing(session):
    clock = Clock()
    limits = throttle(clock, pair=1, address=50)
    assert limits.admit(session, "user:a", "10.0.0.1").wait == 0
    for _ in range(60):
        assert limits.admit(session, "user:a", "10.0.0.1").wait > 0
    # Sixty refusals of one account did not fill the address's ceiling for the others.
    assert limits.admit(session, "user:b", "10.0.0.1").wait == 0


def test_a_withdrawn_attempt_no_longer_counts(session):
    clock = Clock()
    limits = throttle(clock, pair=2)
    first = limits.admit(session, "user:a", "10.0.0.1")
    limits.withdraw(session, first)
    clock.advance(1)
    assert limits.admit(session, "user:a", "10.0.0.1").wait == 0
    assert limits.admit(session, "user:a", "10.0.0.1").wait == 0  # the withdrawn one left room
    assert limits.admit(session, "user:a", "10.0.0.1").wait == 59


def test_a_success_clears_the_account_but_not_the_addresss_other_failures(session):
    limits = throttle(Clock(), pair=2, account=3, address=50)
    for number in range(49):
        limits.admit(session, f"user:{number}", "10.0.0.1")
    good = limits.admit(session, "user:a", "10.0.0.1")
    limits.succeeded(session, good)
    assert limits.admit(session, "user:b", "10.0.0.1").wait == 0  # the 50th failure
    assert limits.admit(session, "user:c", "10.0.0.1").wait == 60


def test_the_window_starts_at_the_first_failure_and_ends_after_it(session):
    clock = Clock()
    limits = throttle(clock, pair=1)
    assert limits.admit(session, "user:a", "10.0.0.1").wait == 0
    clock.advance(30)
    assert limits.admit(session, "user:a", "10.0.0.1").wait == 30
    clock.advance(30)
    assert limits.admit(session, "user:a", "10.0.0.1").wait == 0


def test_no_name_or_address_is_stored(session):
    limits = throttle(Clock(), address=50)
    limits.reset_all(session)  # other tests' committed counts; rolled back with the test
    limits.admit(session, "user:someone-typed-this", "203.0.113.77")
    keys = session.exec(select(LoginFailureCount.key)).all()
    assert len(keys) == 3
    assert all(len(key) == 64 and "someone" not in key and "203.0" not in key for key in keys)
