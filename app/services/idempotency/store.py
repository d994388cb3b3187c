"""Idempotency-Key: a retried create replays the first response and writes nothing new."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

from sqlmodel import Session, select

from app.errors import ValidationFailed, field_error
from app.models import IdempotencyRecord, utcnow

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
RETENTION = timedelta(hours=24)


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> str:
    if not KEY_PATTERN.match(key):
        raise ValidationFailed(
            "the Idempotency-Key header is not valid",
            errors=[
                field_error(
                    ["header", "Idempotency-Key"], "invalid", "1-255 visible ASCII characters"
                )
            ],
        )
    return key


def lookup(
    session: Session, principal: str, key: str, request_fingerprint: str
) -> IdempotencyRecord | None:
    """The remembered response for this key, or None; 422 if the key came with another request."""
    record = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal, IdempotencyRecord.key == key
        )
    ).first()
    if record is None:
        return None
    if record.created_at < utcnow() - RETENTION:
        session.delete(record)
        session.flush()
        return None
    if record.fingerprint != request_fingerprint:
        raise ValidationFailed(
            "this Idempotency-Key was already used with a different request",
            errors=[
                field_error(
                    ["header", "Idempotency-Key"], "key_reused", "use a new key for a new request"
                )
            ],
        )
    return record


def remember(
    session: Session,
    principal: str,
    key: str,
    method: str,
    path: str,
    request_fingerprint: str,
    status_code: int,
    body: Any,
    headers: dict[str, str],
) -> None:
    session.add(
        IdempotencyRecord(
            principal=principal,
            key=key,
            method=method,
            path=path[:500],
            fingerprint=request_fingerprint,
            status_code=status_code,
            body=body,
            headers=headers,
        )
    )
    session.flush()
