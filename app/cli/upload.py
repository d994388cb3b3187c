"""`omi upload`: bulk-upload a CSV, .xlsx or NDJSON file of cases or survey responses."""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote

import httpx
from rich.console import Console
from rich.table import Table
from rich.text import Text

from app.cli.upload_transport import (
    Fault,
    RetriesExhausted,
    Sleep,
    UploadProgress,
    body_size,
    describe_fault,
    send_file,
    send_with_retries,
)

EXIT_OK = 0
EXIT_INVALID_ROWS = 1
EXIT_USAGE = 2
EXIT_AUTH = 3
EXIT_FAILED = 4
EXIT_INTERRUPTED = 130

EPILOG = """\
exit status:
  0    uploaded (or, with --dry-run, every row is valid)
  1    the server rejected rows (422); the row errors are listed on stderr
  2    usage error, or FILE is missing or unreadable
  3    authentication or authorisation failed (401/403, or the login was refused)
  4    any other failure: 404, 409, 413 and other HTTP errors, or network faults and
       502/503/504 that persisted through every retry
  130  interrupted

environment:
  OMI_URL        default for --url
  OMI_TOKEN      bearer token; when unset, log in
  OMI_PASSWORD   password for the login (otherwise it is prompted for)
  OMI_CLIENT_ID, OMI_CLIENT_SECRET   log in with the client_credentials grant instead
"""

DEFAULT_URL = "http://127.0.0.1:8000"
TOKEN_PATH = "/api/v1/auth/token"
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ndjson": "application/x-ndjson",
}
FORMATS_BY_SUFFIX = {".csv": "csv", ".xlsx": "xlsx", ".ndjson": "ndjson", ".jsonl": "ndjson"}
MAX_CHANGES_SHOWN = 50
MAX_ERRORS_SHOWN = 200
MAX_BODY_CHARS = 500
HINTS = {
    401: "The token is missing, invalid or expired: check OMI_TOKEN or log in again.",
    403: "Your account may not upload to this inspection.",
    404: "No such inspection here: check --inspection and --url.",
    409: "The inspection does not accept this upload in its current state.",
    413: "The file is larger than the server accepts: split it and upload the parts.",
}


class UploadError(Exception):
    """A failure to report on stderr; `response` (if any) is shown after the message."""

    def __init__(self, message: str, status: int, response: httpx.Response | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.response = response


def add_upload_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register `omi upload` and its options."""
    parser = subparsers.add_parser(
        "upload",
        help="bulk-upload a CSV, .xlsx or NDJSON file of cases to an inspection",
        description="Upload a file of cases (or, with --survey, prisoner survey responses) "
        "to an inspection, retrying network faults with the same Idempotency-Key. "
        "An .xlsx workbook is read from its first sheet, with the CSV's header rules.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("file", metavar="FILE", help="the file to upload, or - for stdin")
    parser.add_argument("--inspection", required=True, metavar="ID", help="inspection id")
    parser.add_argument("--url", help=f"service base URL (default: $OMI_URL or {DEFAULT_URL})")
    parser.add_argument("--dry-run", action="store_true", help="validate every row, write nothing")
    parser.add_argument(
        "--mode",
        choices=("create", "upsert"),
        default="create",
        help="create: an existing case_ref is an error; upsert: it is merged: only the "
        "columns (NDJSON keys) the file has are written, the others keep their values, an "
        "empty cell clears its field, and each changed case's before and after is audited; "
        "with --dry-run the changes are listed (default: create)",
    )
    parser.add_argument(
        "--survey", action="store_true", help="upload prisoner survey responses instead of cases"
    )
    parser.add_argument(
        "--format",
        choices=tuple(CONTENT_TYPES),
        help="default: from FILE's extension (.csv; .xlsx; .ndjson or .jsonl); required for stdin",
    )
    parser.add_argument(
        "--retries", type=_non_negative_int, default=5, metavar="N", help="default: 5"
    )
    parser.add_argument(
        "--timeout", type=_positive_float, default=300.0, metavar="SECONDS", help="default: 300"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--username", help="username for the login prompt")


def run_upload(
    args: argparse.Namespace,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Sleep = time.sleep,
) -> int:
    """Run `omi upload`; return the exit status. Tests inject `transport` and `sleep`."""
    err = Console(stderr=True, highlight=False)
    try:
        return _upload(args, err, transport, sleep)
    except UploadError as exc:
        err.print(Text(f"omi upload: {exc}", style="bold red"))
        if exc.response is not None:
            print_problem(err, exc.response)
        return exc.status
    except KeyboardInterrupt:
        err.print(Text("omi upload: interrupted", style="bold red"))
        return EXIT_INTERRUPTED


def _upload(
    args: argparse.Namespace, err: Console, transport: httpx.BaseTransport | None, sleep: Sleep
) -> int:
    file_format = args.format or guess_format(args.file)
    url = service_url(args.url or os.environ.get("OMI_URL") or DEFAULT_URL)
    with (
        open_body(args.file) as body,
        httpx.Client(base_url=url, timeout=args.timeout, transport=transport) as client,
    ):
        token = os.environ.get("OMI_TOKEN") or log_in(client, args, err, sleep)
        response = post_file(client, args, body, file_format, token, err, sleep)
    return report(response, err)


def service_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise UploadError(f"invalid --url {url!r}: {exc}", EXIT_USAGE) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise UploadError(f"invalid --url {url!r}: expected http(s)://host[:port]", EXIT_USAGE)
    return parsed


def guess_format(file: str) -> str:
    file_format = FORMATS_BY_SUFFIX.get(Path(file).suffix.lower()) if file != "-" else None
    if file_format is None:
        raise UploadError(f"cannot tell the format of {file!r}: pass --format", EXIT_USAGE)
    return file_format


@contextmanager
def open_body(file: str) -> Iterator[BinaryIO]:
    """The file opened for (re-)reading; stdin is spooled to a temporary file so retries work."""
    with ExitStack() as stack:
        try:
            body: BinaryIO
            if file == "-":
                body = stack.enter_context(tempfile.TemporaryFile())
                shutil.copyfileobj(sys.stdin.buffer, body)
            else:
                body = stack.enter_context(open(file, "rb"))
        except OSError as exc:
            raise UploadError(f"cannot read {file}: {exc.strerror or exc}", EXIT_USAGE) from exc
        yield body


def log_in(client: httpx.Client, args: argparse.Namespace, err: Console, sleep: Sleep) -> str:
    """Get a bearer token with the OAuth2 client_credentials or password grant."""
    form = token_form(args, err)
    try:
        response = send_with_retries(
            lambda: client.post(TOKEN_PATH, data=form),
            retries=args.retries,
            sleep=sleep,
            on_retry=lambda fault, delay: announce_retry(err, fault, delay),
        )
    except RetriesExhausted as exc:
        raise UploadError(f"login {exc}", EXIT_FAILED, _response_of(exc.fault)) from exc
    if response.status_code != 200:
        status = EXIT_AUTH if response.status_code < 500 else EXIT_FAILED
        raise UploadError("login failed", status, response)
    token = (json_object(response) or {}).get("access_token")
    if not isinstance(token, str) or not token:
        raise UploadError("login failed: the response has no access_token", EXIT_FAILED)
    return token


def token_form(args: argparse.Namespace, err: Console) -> dict[str, str]:
    client_id = os.environ.get("OMI_CLIENT_ID")
    client_secret = os.environ.get("OMI_CLIENT_SECRET")
    if client_id and client_secret:
        return {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        }
    try:
        username = args.username or err.input("Username: ")
        password = os.environ.get("OMI_PASSWORD") or getpass.getpass("Password: ")
    except EOFError as exc:
        raise UploadError(
            "cannot prompt for credentials: set OMI_TOKEN, or pass --username and set "
            "OMI_PASSWORD, or set OMI_CLIENT_ID and OMI_CLIENT_SECRET",
            EXIT_AUTH,
        ) from exc
    return {"grant_type": "password", "username": username, "password": password}


def post_file(
    client: httpx.Client,
    args: argparse.Namespace,
    body: BinaryIO,
    file_format: str,
    token: str,
    err: Console,
    sleep: Sleep,
) -> httpx.Response:
    """Stream the file to the import endpoint, retrying with one Idempotency-Key."""
    kind = "survey-imports" if args.survey else "case-imports"
    path = f"/api/v1/inspections/{quote(args.inspection, safe='')}/{kind}"
    params = {"dry_run": "true" if args.dry_run else "false", "mode": args.mode}
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": CONTENT_TYPES[file_format],
        "Idempotency-Key": str(uuid.uuid4()),
    }
    show_progress = not args.quiet and err.is_terminal
    try:
        with UploadProgress(err, body_size(body), enabled=show_progress) as progress:
            return send_file(
                client,
                path,
                body,
                params=params,
                headers=headers,
                progress=progress,
                retries=args.retries,
                sleep=sleep,
                on_retry=lambda fault, delay: announce_retry(err, fault, delay),
            )
    except RetriesExhausted as exc:
        raise UploadError(f"upload {exc}", EXIT_FAILED, _response_of(exc.fault)) from exc


def announce_retry(err: Console, fault: Fault, delay: float) -> None:
    err.print(Text(f"{describe_fault(fault)}; retrying in {delay:g}s", style="yellow"))


def report(response: httpx.Response, err: Console) -> int:
    """Print the outcome of the upload and return the exit status."""
    if response.is_success:
        result = json_object(response) or {}
        print(summary(result))
        print_changes(result)
        return EXIT_OK
    if response.status_code == 422:
        print_validation_errors(err, response)
        return EXIT_INVALID_ROWS
    print_problem(err, response)
    if hint := HINTS.get(response.status_code):
        err.print(Text(hint, style="dim"))
    return EXIT_AUTH if response.status_code in (401, 403) else EXIT_FAILED


def summary(result: dict[str, Any]) -> str:
    dry_run = bool(result.get("dry_run"))
    unchanged = result.get("unchanged")
    return (
        f"{'Validated' if dry_run else 'Imported'} {result.get('rows', '?')} rows: "
        f"{result.get('created', '?')} created, {result.get('updated', '?')} updated"
        + (f", {unchanged} unchanged" if unchanged else "")
        + f" (import {result.get('import_id', '?')}, dry run: {'yes' if dry_run else 'no'})"
    )


def print_changes(result: dict[str, Any]) -> None:
    """A merge's dry run: each case it would change, field by field."""
    changes = result.get("changes")
    if not isinstance(changes, list) or not changes:
        return
    print("Would change:")
    for change in changes[:MAX_CHANGES_SHOWN]:
        if not isinstance(change, dict):
            continue
        before, after = change.get("before") or {}, change.get("after") or {}
        fields = ", ".join(
            f"{name} {_shown(before.get(name))} -> {_shown(value)}" for name, value in after.items()
        )
        print(f"  row {change.get('row')} {change.get('case_ref')}: {fields}")
    if len(changes) > MAX_CHANGES_SHOWN:
        print(f"  ... and {len(changes) - MAX_CHANGES_SHOWN} more")


def _shown(value: Any) -> str:
    return "(empty)" if value is None else str(value)


def json_object(response: httpx.Response) -> dict[str, Any] | None:
    """The JSON object in the body (a problem document for errors), or None."""
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def print_problem(err: Console, response: httpx.Response) -> None:
    """Title and detail of a problem document; otherwise the start of the body."""
    status = response.status_code
    problem = json_object(response)
    if problem is None:
        err.print(Text(f"HTTP {status} {response.reason_phrase}".rstrip(), style="bold red"))
        if text := response.text.strip():
            cut = len(text) > MAX_BODY_CHARS
            err.print(Text(text[:MAX_BODY_CHARS] + (" [...]" if cut else "")))
    else:
        title = problem.get("title") or response.reason_phrase
        err.print(Text(f"{status}: {title}", style="bold red"))
        if (detail := problem.get("detail")) and detail != title:
            err.print(Text(str(detail)))


def print_validation_errors(err: Console, response: httpx.Response) -> None:
    print_problem(err, response)
    errors = (json_object(response) or {}).get("errors")
    if not isinstance(errors, list) or not errors:
        return
    table = Table("Row", "Column", "Code", "Message", title=f"{len(errors)} errors")
    for error in errors[:MAX_ERRORS_SHOWN]:
        table.add_row(*(Text(cell) for cell in error_cells(error)))
    err.print(table)
    if len(errors) > MAX_ERRORS_SHOWN:
        err.print(Text(f"... and {len(errors) - MAX_ERRORS_SHOWN} more errors not shown"))


def error_cells(error: object) -> list[str]:
    """Row, column, code and message of one error; `loc` stands in for the column, and a
    spreadsheet's cell follows it."""
    if not isinstance(error, dict):
        return ["", "", "", str(error)]
    column = error.get("column")
    if column is None and isinstance(error.get("loc"), list):
        column = ".".join(str(part) for part in error["loc"])
    if error.get("cell"):
        column = f"{column} ({error['cell']})" if column else str(error["cell"])
    cells = (error.get("row"), column, error.get("code"), error.get("message"))
    return ["" if cell is None else str(cell) for cell in cells]


def _response_of(fault: Fault) -> httpx.Response | None:
    return fault if isinstance(fault, httpx.Response) else None


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _positive_float(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return number
