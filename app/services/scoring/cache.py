"""Rendered scores documents kept between reads while nothing under the inspection changed.

A scores read is computed from the inspection's cases, answers, survey responses, evidence,
judgements, review moves and rating overrides. Each read first takes their stamp: one
statement of counts, sums of row revisions and latest write times, read from the database,
which moves on every committed insert, update or delete of those rows, through whichever
process it came. A document is served from memory only when it was rendered under the same
stamp, so no writer has to know about the cache and every process of the service keeps its
own safely (docs/operations.md).

On PostgreSQL the change feed (app/changes.py) also vouches for a kept document: while
no change under its inspection has been announced since it was stamped, it is served
without taking the stamp, so a cached read makes no database round trip.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from app.changes import Token, feed, inspection_key
from app.errors import NotFound
from app.etag import etag_of
from app.models import (
    Case,
    CaseReview,
    CriterionJudgement,
    EvidenceItem,
    Inspection,
    RatingOverride,
    SurveyResponse,
)

# About 40 kB a document: a few hundred keep every inspection under way in a few MB.
DEFAULT_ENTRIES = 256
Stamp = tuple[Any, ...]


@dataclass(frozen=True)
class Rendered:
    stamp: Stamp
    body: bytes
    # The change feed's token taken before the stamp: while it holds, so does the stamp.
    token: Token | None = None
    etag: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "etag", etag_of(self.body))


# (table, column of its latest write, whether every change of a row moves its revision)
# for every table under an inspection that scores read.
STAMPED = (
    (Case, "updated_at", True),
    (SurveyResponse, "created_at", False),  # created and deleted, never changed
    (EvidenceItem, "updated_at", True),
    (CriterionJudgement, "updated_at", True),
    # Review moves and rating overrides change what scores say (approved counts, ratings);
    # a move always writes a history row, an override moves its revision.
    (CaseReview, "created_at", False),
    (RatingOverride, "updated_at", True),
)


def _stamp_columns(table: str, column: str, revisioned: bool) -> str:
    where = f"FROM {table} WHERE inspection_id = :inspection"
    parts = [f"(SELECT count(*) {where})", f"(SELECT max({column}) {where})"]
    if revisioned:
        # The latest write time alone misses a change that committed after a later one:
        # a transaction that stamped its row earlier (or on a server whose clock is behind)
        # but committed last leaves the maximum where it was. The sum of revisions moves
        # on every committed change, whatever the order of commits or the clocks.
        parts.append(f"(SELECT coalesce(sum(revision), 0) {where})")
    return ", ".join(parts)


# Plain SQL built once: the stamp is taken on every read, and composing and compiling
# a dozen ORM subqueries each time cost more than the rest of a cached read. It reads the
# inspection row too, so a cached read needs no other query of the inspection.
STAMP_SQL = text(
    "SELECT framework_id, revision, updated_at, "
    + ", ".join(
        _stamp_columns(model.__tablename__, column, revisioned)
        for model, column, revisioned in STAMPED
    )
    + f" FROM {Inspection.__tablename__} WHERE id = :inspection"
)


def stamp_of(session: Session, inspection_id: str) -> Stamp | None:
    """What the inspection's scores depend on: its framework and revision, and the counts
    and latest write times of the rows under it. None when there is no such inspection."""
    row = session.connection().execute(STAMP_SQL, {"inspection": inspection_id}).first()
    return None if row is None else tuple(row)


class ScoresCache:
    """A bounded, thread-safe map of (inspection, filters) to the last rendered document."""

    def kept(self, inspection_id: str, trust: str | None, in_scope: bool | None) -> Rendered | None:
        """The kept document when the change feed vouches nothing changed: no database work."""
        with self._lock:
            rendered = self._documents.get((inspection_id, trust, in_scope))
        if rendered is None or not feed.fresh(inspection_key(inspection_id), rendered.token):
            return None
        return rendered

    def document(
        self,
        session: Session,
        inspection_id: str,
        trust: str | None,
        in_scope: bool | None,
        render: Callable[[], bytes],
    ) -> Rendered:
        """The kept document if nothing changed since it was rendered, else a new one."""
        key = (inspection_id, trust, in_scope)
        # The token, then the stamp, then the document: a write landing between them leaves
        # a newer document under an older token and stamp, which the next read recomputes,
        # never the reverse.
        token = feed.token(inspection_key(inspection_id))
        stamp = stamp_of(session, inspection_id)
        if stamp is None:
            raise NotFound("no such inspection")
        rendered = self.get(key, stamp)
        rendered = Rendered(stamp, render(), token) if rendered is None else rendered
        if rendered.token != token:
            rendered = replace(rendered, token=token)
        self.put(key, rendered)
        return rendered

    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self.entries = entries
        self._documents: OrderedDict[Any, Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any, stamp: Stamp) -> Rendered | None:
        with self._lock:
            rendered = self._documents.get(key)
            if rendered is None or rendered.stamp != stamp:
                return None
            self._documents.move_to_end(key)
            return rendered

    def put(self, key: Any, rendered: Rendered) -> None:
        with self._lock:
            self._documents[key] = rendered
            self._documents.move_to_end(key)
            while len(self._documents) > self.entries:
                self._documents.popitem(last=False)
