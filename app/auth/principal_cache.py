"""Token subjects' principals kept while the change feed vouches that no account changed.

A principal is what an account was when it was last read: its name, roles and trust,
that it was enabled, and the first second whose tokens it honours (`tokens_not_before`),
so a token issued before a revocation is refused from the kept principal alone. Any write
to user accounts or service clients, in any process, makes every kept principal stale
(app/changes.py), so a disabled account's tokens, or those bought with a replaced password
or secret, are refused as soon as the change commits. Without the feed nothing is kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from app.auth.permissions import Principal
from app.changes import ACCOUNTS, Token, feed

# Principals are small; a few thousand cover every account that may hold a live token.
DEFAULT_ENTRIES = 4096


class PrincipalCache:
    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self.entries = entries
        self._kept: OrderedDict[str, tuple[Principal, Token]] = OrderedDict()
        self._lock = threading.Lock()

    def token(self) -> Token | None:
        """Take before reading an account: a principal is kept under the token it was read under."""
        return feed.token(ACCOUNTS)

    def get(self, subject: str) -> Principal | None:
        with self._lock:
            kept = self._kept.get(subject)
        if kept is None or not feed.fresh(ACCOUNTS, kept[1]):
            return None
        return kept[0]

    def put(self, subject: str, principal: Principal, token: Token | None) -> None:
        if token is None:
            return
        with self._lock:
            self._kept[subject] = (principal, token)
            self._kept.move_to_end(subject)
            while len(self._kept) > self.entries:
                self._kept.popitem(last=False)


principals = PrincipalCache()
