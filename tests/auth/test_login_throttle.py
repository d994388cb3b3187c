"""The login throttle: admitted attempts count until they succeed, per key, in a window."""

from __future__ import annotations

from app.auth.login_throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_admitted_attempts_count_before_their_outcome_is_known():
    throttle = LoginThrottle(3, 60, clock=Clock())
    waits = [throttle.admit("user:a", "addr:x")[0] for _ in range(5)]
    assert waits == [0, 0, 0, 60, 60]


def test_a_withdrawn_attempt_no_longer_counts():
    clock = Clock()
    throttle = LoginThrottle(2, 60, clock=clock)
    _, first = throttle.admit("user:a", "addr:x")
    throttle.withdraw(first, "addr:x")
    clock.now += 1
    assert throttle.admit("user:b", "addr:x")[0] == 0
    assert throttle.admit("user:c", "addr:x")[0] == 0  # the withdrawn attempt left room
    assert throttle.admit("user:d", "addr:x")[0] == 60


def test_the_window_slides():
    clock = Clock()
    throttle = LoginThrottle(1, 60, clock=clock)
    assert throttle.admit("user:a")[0] == 0
    clock.now += 30
    assert throttle.admit("user:a")[0] == 30
    clock.now += 30
    assert throttle.admit("user:a")[0] == 0
