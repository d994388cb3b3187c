"""Kept response bodies: which notifications make them stale, and how much is kept."""

from __future__ import annotations

import pytest

from app.changes import (
    AGGREGATES,
    HEARD_WITHIN,
    LETTERS,
    REFERENCE,
    ChangeFeed,
    KeptBodies,
    inspection_key,
)


@pytest.fixture
def live() -> ChangeFeed:
    feed = ChangeFeed()
    feed.set_live(True)
    return feed


@pytest.mark.parametrize("key", [inspection_key("abc"), REFERENCE])
def test_an_inspection_or_the_reference_data_changing_makes_aggregates_stale(live, key):
    kept = KeptBodies(AGGREGATES, changes=live)
    kept.put("pooled", b"{}", '"e"', kept.token())
    assert kept.get("pooled") is not None
    live.note(key)
    assert kept.get("pooled") is None


@pytest.mark.parametrize("key", [LETTERS, "accounts"])
def test_a_letter_or_an_account_changing_leaves_aggregates_kept(live, key):
    kept = KeptBodies(AGGREGATES, changes=live)
    kept.put("pooled", b"{}", '"e"', kept.token())
    live.note(key)
    assert kept.get("pooled") is not None


def test_the_oldest_bodies_go_first_when_the_bytes_run_out(live):
    kept = KeptBodies(AGGREGATES, entries=10, max_bytes=10, changes=live)
    token = kept.token()
    kept.put("a", b"1234", '"a"', token)
    kept.put("b", b"1234", '"b"', token)
    kept.put("a", b"12", '"a2"', token)  # replaced: its old bytes no longer count
    kept.put("c", b"1234", '"c"', token)  # 10 bytes: all fit
    kept.put("d", b"123", '"d"', token)  # 13 bytes: the least recently kept goes
    assert [key for key in "abcd" if kept.get(key) is not None] == ["a", "c", "d"]


def test_a_body_larger_than_the_bound_is_not_kept(live):
    kept = KeptBodies(AGGREGATES, max_bytes=4, changes=live)
    kept.put("big", b"12345", '"big"', kept.token())
    assert kept.get("big") is None


def test_nothing_is_kept_while_the_feed_cannot_vouch():
    kept = KeptBodies(AGGREGATES, changes=ChangeFeed())
    kept.put("pooled", b"{}", '"e"', kept.token())
    assert kept.get("pooled") is None


def test_a_body_read_often_outlives_bodies_kept_after_it(live):
    kept = KeptBodies(AGGREGATES, entries=2, changes=live)
    token = kept.token()
    kept.put("hot", b"1", '"h"', token)
    kept.put("cold", b"2", '"c"', token)
    assert kept.get("hot") is not None
    kept.put("new", b"3", '"n"', token)
    assert [key for key in ("hot", "cold", "new") if kept.get(key) is not None] == ["hot", "new"]


def test_a_stale_body_gives_back_its_bytes(live):
    kept = KeptBodies(AGGREGATES, max_bytes=4, changes=live)
    kept.put("old", b"1234", '"o"', kept.token())
    live.note(REFERENCE)
    assert kept.get("old") is None
    kept.put("new", b"1234", '"n"', kept.token())
    assert kept.get("new") is not None


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_feed_that_has_not_heard_from_the_database_lately_vouches_for_nothing():
    clock = Clock()
    feed = ChangeFeed(clock)
    feed.set_live(True)
    kept = KeptBodies(AGGREGATES, changes=feed)
    kept.put("pooled", b"{}", '"e"', kept.token())
    clock.now += 2.5
    feed.heard()
    clock.now += 2.5  # heard 2.5 s ago: still vouching
    assert kept.get("pooled") is not None
    clock.now += HEARD_WITHIN  # a hung connection: nothing heard for longer
    assert kept.token() is None and kept.get("pooled") is None
    feed.heard()  # it answers again, but a change may have gone unheard meanwhile
    assert kept.token() is not None and kept.get("pooled") is None
