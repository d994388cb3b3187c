"""Entity tags: one digest of a representation's bytes, for the web layer and the caches."""

from __future__ import annotations

import hashlib


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
