"""Idempotency-Key: a retried create or upload replays the first response and writes nothing.

One helper serves every creating request. A JSON create is bound to its caller, path and
body when the request arrives; an upload is bound to the checksum of its file once the
file has been read, so a retry with a new multipart boundary still matches.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Header, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.auth.permissions import Principal
from app.errors import Conflict, ValidationFailed, field_error
from app.models import IdempotencyRecord, utcnow
from app.web.http import representation_etag

KEY_PATTERN = re.compile(r"^[\x21-\x7e]{1,255}$")
RETENTION = timedelta(hours=24)
REPLAYED = {"Idempotent-Replayed": "true"}

T = TypeVar("T")


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


class Idempotency:
    """The Idempotency-Key of a creating request, bound to its caller, path and body."""

    def __init__(self, request: Request, key: str | None, request_fingerprint: str) -> None:
        self.request = request
        self.key = key
        self.fingerprint = request_fingerprint

    @classmethod
    def of_upload(cls, request: Request, key: str | None) -> Idempotency:
        """An upload's key, to be bound to its file with `for_file` once the file is read."""
        return cls(request, check_key(key) if key is not None else None, "")

    def for_file(self, checksum: str, query: str) -> Idempotency:
        """Bound to the file's checksum, which stands for the body, and to the query."""
        request = f"{self.request.url.path}?{query}"
        return Idempotency(
            self.request,
            self.key,
            fingerprint(self.request.method, request, checksum.encode()),
        )

    def replay(self, session: Session, principal: Principal) -> Response | None:
        """The first response to this key, if there was one; 422 if it came with another request."""
        if self.key is None:
            return None
        record = _lookup(session, principal.subject, self.key, self.fingerprint)
        if record is None:
            return None
        return JSONResponse(record.body, record.status_code, {**record.headers, **REPLAYED})

    def respond(
        self,
        session: Session,
        principal: Principal,
        status_code: int,
        payload: Any,
        headers: dict[str, str] | None = None,
        *,
        etag: bool = True,
    ) -> Response:
        """The response, remembered under the key (if any) for a retry to replay."""
        body = jsonable_encoder(payload)
        headers = {**(headers or {})}
        if etag:
            headers["ETag"] = representation_etag(body)
        if self.key is not None:
            record = IdempotencyRecord(
                principal=principal.subject,
                key=self.key,
                method=self.request.method,
                path=self.request.url.path[:500],
                fingerprint=self.fingerprint,
                status_code=status_code,
                body=body,
                headers=headers,
            )
            try:
                with session.begin_nested():
                    session.add(record)
            except IntegrityError as exc:
                # The same key, at the same moment, through another worker or server: the
                # first to commit keeps its response; this request's writes are undone.
                raise Conflict(
                    "a request with this Idempotency-Key was being answered at the same time; "
                    "retry to receive its response"
                ) from exc
        return JSONResponse(body, status_code, headers)

    def create(
        self,
        session: Session,
        principal: Principal,
        make: Callable[[], T],
        location: Callable[[T], str],
    ) -> Response:
        """201 with what `make` created and its Location, or the replay of the first try."""
        replayed = self.replay(session, principal)
        if replayed is not None:
            return replayed
        created = make()
        return self.respond(session, principal, 201, created, {"Location": location(created)})


def _lookup(
    session: Session, principal: str, key: str, request_fingerprint: str
) -> IdempotencyRecord | None:
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


async def idempotency_of(
    request: Request,
    idempotency_key: Annotated[
        str | None,
        Header(description="A retry with the same key and body replays the first response"),
    ] = None,
) -> Idempotency:
    key = check_key(idempotency_key) if idempotency_key is not None else None
    body = await request.body() if key is not None else b""
    return Idempotency(request, key, fingerprint(request.method, request.url.path, body))


IdempotencyDep = Annotated[Idempotency, Depends(idempotency_of)]
