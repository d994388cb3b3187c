"""A login: throttled, checked, and audited whether it succeeds or not (SPEC 13).

The audit event of a refused login is committed before the refusal is raised, so the
request's rollback keeps it. It names who tried (the account as given), when, from which
address and how it ended; never the password or secret.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Literal

from sqlmodel import Session

from app.auth.accounts import (
    authenticate_client,
    authenticate_user,
    principal_for_client,
    principal_for_user,
)
from app.auth.login_throttle import LoginThrottle
from app.auth.permissions import Principal
from app.errors import TooManyRequests, Unauthorized
from app.models.base import utcnow
from app.services.audit import service as audit

log = logging.getLogger(__name__)

GrantType = Literal["password", "client_credentials"]
MAX_WAIT_SECONDS = 1.0


@dataclass(frozen=True)
class Attempt:
    grant_type: GrantType
    name: str  # the username or client id, as given
    secret: str
    address: str  # the caller's network address

    @property
    def account(self) -> str:
        kind = "user" if self.grant_type == "password" else "client"
        return f"{kind}:{self.name}"


def _audit(session: Session, attempt: Attempt, outcome: str, who: Principal | None) -> None:
    audit.record(
        session,
        who if who is not None else "anonymous",
        f"login.{outcome}",
        "login",
        attempt.name[:64],
        None,
        {
            "account": attempt.account,
            "grant_type": attempt.grant_type,
            "address": attempt.address,
            "outcome": outcome,
            "subject": who.subject if who is not None else None,
        },
    )


def wait_for_an_honoured_second(principal: Principal) -> None:
    """Return once a token issued now would hold: at most a second after a revocation.

    A token's `iat` counts whole seconds and the second of a revocation is refused
    (app.auth.accounts.first_honoured_second); a login in that second, with the new
    password or secret say, waits for the next one rather than get a token already dead.
    """
    # A revocation's second ends within a second. A longer wait means the clocks disagree
    # (set back, or another host's ahead): the login goes on rather than hang on it.
    deadline = time.monotonic() + MAX_WAIT_SECONDS + 0.25
    while 0 < (wait := principal.tokens_not_before - utcnow().timestamp()) <= MAX_WAIT_SECONDS:
        if time.monotonic() >= deadline:
            break
        time.sleep(wait)


def log_in(session: Session, throttle: LoginThrottle, attempt: Attempt) -> Principal:
    """The principal the credentials belong to; 401 or 429 otherwise, each one audited."""
    admission = throttle.admit(session, attempt.account, attempt.address)
    if admission.wait:
        _audit(session, attempt, "throttled", None)
        session.commit()
        raise TooManyRequests(
            "too many failed attempts; try again later", retry_after=admission.wait
        )
    # The attempt counts, in every process, before its credentials are checked.
    session.commit()
    try:
        if attempt.grant_type == "password":
            user = authenticate_user(session, attempt.name, attempt.secret)
            principal = principal_for_user(user) if user else None
        else:
            client = authenticate_client(session, attempt.name, attempt.secret)
            principal = principal_for_client(client) if client else None
    except Exception:
        # The check never ran (the database failed, say): not a failed guess.
        session.rollback()
        try:
            throttle.withdraw(session, admission)
            session.commit()
        except Exception:
            session.rollback()
            log.warning("a login attempt that was never checked still counts")
        raise
    # End the reading transaction before writing: on SQLite a transaction that read first
    # cannot take the write lock once another connection has written in between.
    session.commit()
    if principal is None:
        _audit(session, attempt, "refused", None)
        session.commit()
        raise Unauthorized("the credentials are not valid")
    # Between transactions: nothing is locked while it waits.
    wait_for_an_honoured_second(principal)
    throttle.succeeded(session, admission)
    _audit(session, attempt, "succeeded", principal)
    return principal
