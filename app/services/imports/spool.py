"""Checked rows parked on disk between the checking pass and the writing pass of an import.

A temporary SQLite file rather than memory: the checking pass keeps only a batch at a
time, the duplicate check is an indexed query, and the rows come back in file order.
"""

from __future__ import annotations

import os
import pickle
import sqlite3
import tempfile
from collections.abc import Iterator
from types import TracebackType
from typing import Any

FLUSH_EVERY = 2000


class Spool:
    """Rows keyed by their number, each with an optional key (case_ref) and a record."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="omi-import-")
        path = os.path.join(self._folder.name, "spool.sqlite")
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        # Scratch data, thrown away after the request: no journal, no fsync.
        self._db.execute("PRAGMA journal_mode=OFF")
        self._db.execute("PRAGMA synchronous=OFF")
        self._db.execute("PRAGMA temp_store=FILE")
        self._db.execute("CREATE TABLE spool (row INTEGER PRIMARY KEY, key TEXT, record BLOB)")
        self._pending: list[tuple[int, str | None, bytes | None]] = []

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()
        self._folder.cleanup()

    def add(self, row: int, key: str | None, record: Any) -> None:
        """Park one row; a None record keeps only the key (the file is already invalid)."""
        blob = None if record is None else pickle.dumps(record, protocol=pickle.HIGHEST_PROTOCOL)
        self._pending.append((row, key, blob))
        if len(self._pending) >= FLUSH_EVERY:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT INTO spool VALUES (?, ?, ?)", self._pending)
            self._db.execute("COMMIT")
            self._pending.clear()

    def duplicates(self) -> Iterator[tuple[int, str, int]]:
        """(row, key, first row with that key) for every repeat of a key, in row order."""
        self._flush()
        self._db.execute("CREATE INDEX spool_key ON spool (key, row)")
        yield from self._db.execute(
            "SELECT row, key, first FROM ("
            " SELECT row, key, min(row) OVER (PARTITION BY key) AS first"
            " FROM spool WHERE key IS NOT NULL"
            ") WHERE row <> first ORDER BY row"
        )

    def batches(self, size: int) -> Iterator[list[Any]]:
        """The parked records in row order, `size` at a time."""
        self._flush()
        cursor = self._db.execute("SELECT record FROM spool WHERE record IS NOT NULL ORDER BY row")
        while rows := cursor.fetchmany(size):
            yield [pickle.loads(blob) for (blob,) in rows]
