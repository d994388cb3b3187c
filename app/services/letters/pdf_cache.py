"""Rendered letter PDFs kept by what they show, and rendering bounded.

A letter's content is frozen into its row when it is drafted; what a reader gets changes
only with its status and version (a "DRAFT" or "SUPERSEDED" marker, the publication
date). So a PDF is kept under the ETag of the letter's JSON representation plus its version:
the same key is the same document on every process, and any change makes a new key.
Rendering a letter with long recommendations costs seconds of CPU; here it happens once
per key (concurrent readers of one letter wait for the one render) and at most
`MAX_RENDERS` at a time, so PDF reads cannot take every worker thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

MAX_RENDERS = 2
MAX_BYTES = 64 * 1024 * 1024


class PdfCache:
    def __init__(self, max_bytes: int = MAX_BYTES, max_renders: int = MAX_RENDERS) -> None:
        self.max_bytes = max_bytes
        self._documents: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self._rendering: dict[str, threading.Lock] = {}
        self._renders = threading.BoundedSemaphore(max_renders)

    def get_or_render(self, key: str, render: Callable[[], bytes]) -> bytes:
        """The document under `key`, rendered by `render` the first time it is asked for."""
        found = self._get(key)
        if found is not None:
            return found
        with self._lock:
            one_render = self._rendering.setdefault(key, threading.Lock())
        with one_render:
            found = self._get(key)  # rendered by whoever held the lock before us
            if found is not None:
                return found
            with self._renders:
                document = render()
            self._put(key, document)
        with self._lock:
            self._rendering.pop(key, None)
        return document

    def _get(self, key: str) -> bytes | None:
        with self._lock:
            document = self._documents.get(key)
            if document is not None:
                self._documents.move_to_end(key)
            return document

    def _put(self, key: str, document: bytes) -> None:
        if len(document) > self.max_bytes:
            return
        with self._lock:
            if key in self._documents:
                return
            self._documents[key] = document
            self._size += len(document)
            while self._size > self.max_bytes:
                _, dropped = self._documents.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._documents.clear()
            self._size = 0


letter_pdfs = PdfCache()
