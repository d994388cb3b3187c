"""Framework versions: upload, immutability once used, lookups and the parsed index."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import yaml
from sqlalchemy import exists, func
from sqlmodel import Session, col, select

from app.errors import NotFound, ValidationFailed, field_error
from app.models import Framework, Inspection
from app.models.case import CASE_ATTRIBUTES
from app.models.framework import (
    DocumentFormat,
    FrameworkDocument,
    FrameworkRead,
    FrameworkSummary,
    Subject,
)
from app.rules.framework_index import FrameworkIndex
from app.rules.framework_rules import document_faults
from app.services.audit import service as audit

_index_cache: dict[str, FrameworkIndex] = {}
_index_lock = threading.Lock()


def index_of(framework: Framework) -> FrameworkIndex:
    """The parsed framework, cached by content so a replaced draft is never served stale."""
    cached = _index_cache.get(framework.checksum)
    if cached is None:
        cached = FrameworkIndex.build(FrameworkDocument.model_validate(framework.document))
        with _index_lock:
            if len(_index_cache) > 256:
                _index_cache.clear()
            _index_cache[framework.checksum] = cached
    return cached


def parse_upload(body: bytes, document_format: DocumentFormat) -> Any:
    """The uploaded document's JSON or YAML as plain data; 422 if it cannot be parsed."""
    try:
        if document_format is DocumentFormat.yaml:
            return yaml.safe_load(body.decode("utf-8"))
        return json.loads(body)
    # Deep nesting exhausts the parsers' recursion: a malformed document like any other.
    except (ValueError, RecursionError, yaml.YAMLError) as exc:
        raise ValidationFailed(
            "the framework document cannot be parsed",
            errors=[field_error(["body"], "parse_error", str(exc)[:500])],
        ) from exc


def checksum_of(document: dict[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def is_in_use(session: Session, framework_id: str) -> bool:
    return bool(
        session.exec(select(exists().where(col(Inspection.framework_id) == framework_id))).one()
    )


def latest(session: Session, code: str) -> Framework | None:
    statement = (
        select(Framework).where(Framework.code == code).order_by(col(Framework.version).desc())
    )
    return session.exec(statement).first()


def get(session: Session, code: str, version: int | None = None) -> Framework:
    if version is None:
        framework = latest(session, code)
    else:
        statement = select(Framework).where(Framework.code == code, Framework.version == version)
        framework = session.exec(statement).first()
    if framework is None:
        suffix = f" version {version}" if version else ""
        raise NotFound(f"framework {code!r}{suffix} does not exist")
    return framework


def store(session: Session, raw: Any, actor: str) -> tuple[Framework, bool]:
    """Validate and save a document; returns the version and whether it is new.

    The latest version is replaced in place while no inspection uses it; once one
    does it is frozen and the upload becomes the next version.
    """
    faults = document_faults(raw)
    if faults:
        # The rules locate faults within the document; the document is the request's body.
        located = [{**fault, "loc": ["body", *fault["loc"]]} for fault in faults]
        raise ValidationFailed("the framework document is not valid", errors=located)
    document = FrameworkDocument.model_validate(raw)
    # A document without an overall rating is stored as before, so its checksum (and so
    # its version) does not change because the field exists.
    left_out = {"version"} if document.overall is not None else {"version", "overall"}
    stored = document.model_dump(mode="json", by_alias=True, exclude=left_out)
    checksum = checksum_of(stored)
    current = latest(session, document.code)
    if current is not None and current.checksum == checksum:
        return current, False
    if current is not None and not is_in_use(session, current.id):
        before = {"version": current.version, "checksum": current.checksum}
        current.document, current.title, current.checksum = stored, document.title, checksum
        session.add(current)
        session.flush()
        audit.record(
            session,
            actor,
            "framework.replaced",
            "framework",
            current.id,
            before,
            {"code": current.code, "version": current.version, "checksum": checksum},
        )
        return current, False
    framework = Framework(
        code=document.code,
        version=(current.version + 1) if current else 1,
        title=document.title,
        document=stored,
        checksum=checksum,
        created_by=actor,
    )
    session.add(framework)
    session.flush()
    audit.record(
        session,
        actor,
        "framework.created",
        "framework",
        framework.id,
        None,
        {"code": framework.code, "version": framework.version, "checksum": checksum},
    )
    return framework, True


def versions_by_code(session: Session) -> dict[str, list[int]]:
    rows = session.exec(
        select(Framework.code, Framework.version).order_by(col(Framework.version))
    ).all()
    versions: dict[str, list[int]] = {}
    for code, version in rows:
        versions.setdefault(code, []).append(version)
    return versions


def summary(framework: Framework, versions: list[int]) -> FrameworkSummary:
    document = index_of(framework).document
    return FrameworkSummary(
        code=framework.code,
        version=framework.version,
        title=framework.title,
        versions=versions,
        instruments=[instrument.code for instrument in document.instruments],
        created_at=framework.created_at,
    )


def list_latest(session: Session) -> list[FrameworkSummary]:
    newest = (
        select(Framework.code, func.max(Framework.version).label("version"))
        .group_by(Framework.code)
        .subquery()
    )
    statement = (
        select(Framework)
        .join(
            newest,
            (col(Framework.code) == newest.c.code) & (col(Framework.version) == newest.c.version),
        )
        .order_by(Framework.code)
    )
    versions = versions_by_code(session)
    return [summary(item, versions[item.code]) for item in session.exec(statement).all()]


def read(session: Session, framework: Framework) -> FrameworkRead:
    document = index_of(framework).document
    versions = versions_by_code(session).get(framework.code, [framework.version])
    return FrameworkRead(
        # The summary lists instrument codes; the tree replaces them with the instruments.
        **summary(framework, versions).model_dump(exclude={"instruments"}),
        id=framework.id,
        in_use=is_in_use(session, framework.id),
        inspectorates=document.inspectorates,
        scope_note=document.scope_note,
        rating=document.rating,
        overall=document.overall,
        sections=document.sections,
        themes=document.themes,
        criteria=document.criteria,
        instruments=document.instruments,
    )


def csv_columns(framework: Framework, subject: Subject = Subject.case) -> list[str]:
    """The import header: case attributes, then every question whose subject this is."""
    questions = index_of(framework).question_codes(subject)
    if subject is Subject.respondent:
        return questions
    return [*CASE_ATTRIBUTES, *questions]
