"""What case and survey imports share: two passes, the fault list, the record.

Pass one streams the file, checks every row and parks the checked rows in a spool; pass
two writes them in batches. Both run in the request's one transaction, so a fault found
by either leaves nothing behind. Between the two, a caller may decide the file was
already imported (a retried request) and write nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

import psycopg
import sqlalchemy.exc
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.auth.permissions import Principal
from app.errors import Conflict, NotFound, ValidationFailed, row_error
from app.models import CaseImport, Inspection
from app.models.imports import (
    ImportChange,
    ImportKind,
    ImportMode,
    ImportRecordRead,
    ImportResult,
)
from app.models.page import Page
from app.services.audit import service as audit
from app.services.imports.readers import (
    ImportFile,
    UnreadableFile,
    Upload,
    not_utf8,
    printable,
)
from app.services.imports.spool import Spool
from app.services.imports.writer import CaseChangedMeanwhile
from app.services.inspections.service import ensure_writable

MAX_ERRORS = 1000
MAX_CHANGES = 1000
HEADER_ROW = 0


@dataclass(frozen=True)
class ImportOptions:
    mode: ImportMode
    dry_run: bool


class FaultLog:
    """Every fault counted; the first MAX_ERRORS kept, so a bad large file gets a small answer."""

    def __init__(self, limit: int = MAX_ERRORS) -> None:
        self.limit = limit
        self.count = 0
        self.kept: list[dict[str, Any]] = []
        # Set by a spreadsheet: names the cell of a (row, column), e.g. "Sheet1!C5".
        self.locator: Callable[[int, str | None], str | None] | None = None

    def add(self, row: int, column: str | None, code: str, message: str) -> None:
        self.count += 1
        if len(self.kept) < self.limit:
            error = row_error(row, column, code, message)
            cell = self.locator(row, column) if self.locator is not None else None
            if cell is not None:
                error["cell"] = cell
            self.kept.append(error)

    def raise_if_any(self) -> None:
        if self.count:
            raise self.failure()

    def failure(self) -> ValidationFailed:
        errors = sorted(self.kept, key=lambda error: error["row"])
        more = self.count - len(errors)
        return ValidationFailed(
            f"{self.count} fault(s) in the file; nothing was written"
            + (f" (the first {len(errors)} are listed)" if more else ""),
            errors=errors,
            error_count=self.count,
            more_errors=more,
        )


@dataclass
class Counts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # The first MAX_CHANGES cases an upsert changes: row, case_ref, case, before, after.
    changes: list[dict[str, Any]] = field(default_factory=list)


class Importer(Protocol):
    """One kind of import: checks rows into the spool, then writes the spool."""

    kind: ImportKind
    counts: Counts

    def check(self, upload: Upload, faults: FaultLog, spool: Spool) -> None: ...

    def write(self, spool: Spool, actor: str) -> None:
        """Write the spooled rows; actor is who uploaded them."""
        ...


def header_faults(
    header: list[str], known: Iterable[str], required: Iterable[str], faults: FaultLog
) -> set[str]:
    """Unknown, repeated and missing columns of a header; returns the missing ones."""
    allowed, seen = set(known), set()
    for position, name in enumerate(header, start=1):
        shown = printable(name)
        if name in seen:
            faults.add(HEADER_ROW, shown, "duplicate_column", f"column {shown!r} appears twice")
        elif name not in allowed:
            label = f"column {position} has no name" if not name else f"unknown column {shown!r}"
            faults.add(HEADER_ROW, shown, "unknown_column", label)
        seen.add(name)
    missing = {name for name in required if name not in seen}
    for name in sorted(missing):
        faults.add(HEADER_ROW, name, "missing_column", f"required column {name!r} is missing")
    return missing


def row_fits(row: int, cells: list[str], header: list[str], faults: FaultLog) -> bool:
    """Whether a row has a cell per column, all of them UTF-8; faults if not."""
    if len(cells) != len(header):
        faults.add(
            row, None, "cell_count", f"row has {len(cells)} cells; the header has {len(header)}"
        )
        return False
    if all(map(str.isascii, cells)):
        return True
    bad = [name for name, cell in zip(header, cells, strict=True) if not_utf8(cell)]
    for name in bad:
        faults.add(row, printable(name), "invalid_encoding", "the cell is not UTF-8 text")
    return not bad


class CheckedFile:
    """A file whose every row has been checked and parked in the spool, not yet written."""

    def __init__(
        self,
        session: Session,
        inspection: Inspection,
        importer: Importer,
        upload: Upload,
        faults: FaultLog,
        spool: Spool,
    ) -> None:
        self.session, self.inspection, self.importer = session, inspection, importer
        self.upload, self.faults, self.spool = upload, faults, spool

    @property
    def checksum(self) -> str:
        """The SHA-256 of the file's bytes."""
        return self.upload.checksum

    def write(self, principal: Principal, options: ImportOptions) -> ImportResult:
        """Refuse the file if any row is at fault; otherwise write it (unless a dry run)."""
        if self.importer.counts.rows == 0:
            self.faults.add(HEADER_ROW, None, "no_rows", "the file has no data rows")
        self.faults.raise_if_any()
        import_id = None
        if not options.dry_run:
            _write(self.importer, self.spool, principal.subject)
            import_id = _record(
                self.session, principal, self.inspection, options, self.upload, self.importer
            )
        counts = self.importer.counts
        return ImportResult(
            import_id=import_id,
            rows=counts.rows,
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
            dry_run=options.dry_run,
            changes=(
                [ImportChange.model_validate(change) for change in counts.changes]
                if options.dry_run and options.mode is ImportMode.upsert
                else None
            ),
        )


@contextmanager
def checked(
    session: Session,
    inspection: Inspection,
    open_file: Callable[[], ImportFile],
    importer: Importer,
) -> Iterator[CheckedFile]:
    """Pass one: read and check the whole file; the spool lasts as long as the block."""
    ensure_writable(inspection)
    faults = FaultLog()
    with Spool() as spool:
        try:
            upload = Upload(open_file())
            importer.check(upload, faults, spool)
            upload.finish()
        except UnreadableFile as exc:
            faults.add(exc.row, None, exc.code, exc.message)
            raise faults.failure() from exc
        yield CheckedFile(session, inspection, importer, upload, faults, spool)


def run(
    session: Session,
    principal: Principal,
    inspection: Inspection,
    options: ImportOptions,
    open_file: Callable[[], ImportFile],
    importer: Importer,
) -> ImportResult:
    """Check the whole file, then refuse or write it."""
    with checked(session, inspection, open_file, importer) as file:
        return file.write(principal, options)


def _write(importer: Importer, spool: Spool, actor: str) -> None:
    try:
        importer.write(spool, actor)
    except (sqlalchemy.exc.IntegrityError, psycopg.IntegrityError) as exc:
        # Every row was checked against the inspection; only a writer that committed since
        # can collide. Nothing is kept: the request's transaction rolls back.
        raise Conflict(
            "another upload changed this inspection's cases while this file was being "
            "written; nothing was imported: upload the file again"
        ) from exc
    except CaseChangedMeanwhile as exc:
        raise Conflict(
            "a case in the file was changed by someone else while the file was being "
            "checked; nothing was imported: upload the file again to merge with the change"
        ) from exc


def _record(
    session: Session,
    principal: Principal,
    inspection: Inspection,
    options: ImportOptions,
    upload: Upload,
    importer: Importer,
) -> str:
    counts = importer.counts
    record = CaseImport(
        inspection_id=inspection.id,
        kind=importer.kind,
        mode=options.mode.value,
        content_type=upload.file.media_type[:100],
        actor=principal.subject,
        rows=counts.rows,
        created=counts.created,
        updated=counts.updated,
        checksum=upload.checksum,
        size_bytes=upload.size,
    )
    session.add(record)
    session.flush()
    noun = "case_import" if importer.kind is ImportKind.cases else "survey_import"
    audit.record(
        session, principal, f"{noun}.created", noun, record.id, None, audit.snapshot(record)
    )
    session.flush()
    return record.id


def to_read(record: CaseImport) -> ImportRecordRead:
    return ImportRecordRead(
        id=record.id,
        inspection=record.inspection_id,
        kind=record.kind,
        mode=ImportMode(record.mode),
        content_type=record.content_type,
        actor=record.actor,
        created_at=record.created_at,
        rows=record.rows,
        created=record.created,
        updated=record.updated,
        checksum=record.checksum,
        size_bytes=record.size_bytes,
    )


def get(session: Session, inspection: Inspection, kind: ImportKind, import_id: str) -> CaseImport:
    record = session.get(CaseImport, import_id)
    if record is None or record.inspection_id != inspection.id or record.kind != kind:
        raise NotFound("no such import")
    return record


def listing(
    session: Session, inspection: Inspection, kind: ImportKind, *, limit: int, offset: int
) -> Page[ImportRecordRead]:
    """The inspection's imports of one kind, newest first."""
    where = (CaseImport.inspection_id == inspection.id, CaseImport.kind == kind)
    total = session.exec(select(func.count()).select_from(CaseImport).where(*where)).one()
    rows = session.exec(
        select(CaseImport)
        .where(*where)
        .order_by(col(CaseImport.created_at).desc(), col(CaseImport.id))
        .limit(limit)
        .offset(offset)
    ).all()
    return Page(items=[to_read(row) for row in rows], total=total, limit=limit, offset=offset)
