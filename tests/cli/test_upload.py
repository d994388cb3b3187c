"""`omi upload` against an httpx.MockTransport: no server needed."""

from __future__ import annotations

import argparse
import io
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pytest

from app.cli.upload import add_upload_parser, run_upload
from app.cli.upload_transport import retry_delay

CSV = b"case_ref,prison_number\nC1,A1234BC\nC2,A1234BD\n"
CREATED = {"import_id": "imp-7f3c", "rows": 2, "created": 2, "updated": 0, "dry_run": False}
PROBLEM = {"Content-Type": "application/problem+json"}
Handler = Callable[[httpx.Request], httpx.Response]


class Server:
    """Records every request (body read) and answers with the queued replies in turn."""

    def __init__(self, *replies: httpx.Response | Exception | Handler) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if isinstance(reply, Exception):
            raise reply
        return reply(request) if callable(reply) else reply

    def run(self, *argv: str) -> int:
        parser = argparse.ArgumentParser(prog="omi")
        add_upload_parser(parser.add_subparsers(dest="command"))
        args = parser.parse_args(["upload", *argv])
        return run_upload(args, transport=httpx.MockTransport(self), sleep=self.sleeps.append)


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("OMI_URL", "OMI_PASSWORD", "OMI_CLIENT_ID", "OMI_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMI_TOKEN", "tok-123")


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "cases.csv"
    path.write_bytes(CSV)
    return path


def created() -> httpx.Response:
    return httpx.Response(201, json=CREATED)


def test_streams_the_file_with_headers_and_prints_a_summary(
    csv_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = Server(created())

    status = server.run("--inspection", "insp-1", str(csv_file))

    assert status == 0
    (request,) = server.requests
    assert request.method == "POST"
    assert request.url.host == "127.0.0.1"
    assert request.url.path == "/api/v1/inspections/insp-1/case-imports"
    assert dict(request.url.params) == {"dry_run": "false", "mode": "create"}
    assert request.headers["Content-Type"] == "text/csv"
    assert request.headers["Authorization"] == "Bearer tok-123"
    assert request.headers["Content-Length"] == str(len(CSV))
    assert uuid.UUID(request.headers["Idempotency-Key"]).version == 4
    assert request.content == CSV
    out, err = capsys.readouterr()
    assert out == "Imported 2 rows: 2 created, 0 updated (import imp-7f3c, dry run: no)\n"
    assert err == ""  # no progress bar when stderr is not a terminal
    assert "tok-123" not in out + err


def test_options_reach_the_request(csv_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OMI_URL", "https://omi.example/base")
    server = Server(httpx.Response(201, json={**CREATED, "dry_run": True}))

    status = server.run("--inspection", "i/2", "--dry-run", "--mode", "upsert", str(csv_file))

    assert status == 0
    assert str(server.requests[0].url) == (
        "https://omi.example/base/api/v1/inspections/i%2F2/case-imports?dry_run=true&mode=upsert"
    )


def test_survey_uploads_go_to_survey_imports(csv_file: Path) -> None:
    server = Server(created())

    assert server.run("--inspection", "insp-1", "--survey", str(csv_file)) == 0
    assert server.requests[0].url.path == "/api/v1/inspections/insp-1/survey-imports"


@pytest.mark.parametrize("suffix", [".ndjson", ".jsonl"])
def test_ndjson_content_type_from_the_extension(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"cases{suffix}"
    path.write_bytes(b'{"case_ref": "C1"}\n')
    server = Server(created())

    assert server.run("--inspection", "insp-1", str(path)) == 0
    assert server.requests[0].headers["Content-Type"] == "application/x-ndjson"
    assert server.requests[0].content == b'{"case_ref": "C1"}\n'


def test_stdin_is_uploaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(CSV)))
    server = Server(httpx.ConnectError("refused"), created())

    assert server.run("--inspection", "insp-1", "--format", "csv", "-") == 0
    assert [r.content for r in server.requests] == [CSV, CSV]  # re-read for the retry


def test_no_prompt_when_stdin_is_the_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMI_TOKEN")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(CSV)))
    server = Server(created())

    assert server.run("--inspection", "insp-1", "--format", "csv", "-") == 3
    assert server.requests == []


def test_stdin_needs_a_format(capsys: pytest.CaptureFixture[str]) -> None:
    assert Server(created()).run("--inspection", "insp-1", "-") == 2
    assert "--format" in capsys.readouterr().err


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://omi.example", "http://[::1"])
def test_bad_url_exits_2(csv_file: Path, url: str) -> None:
    server = Server(created())

    assert server.run("--inspection", "insp-1", "--url", url, str(csv_file)) == 2
    assert server.requests == []


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = Server(created())

    assert server.run("--inspection", "insp-1", str(tmp_path / "absent.csv")) == 2
    assert server.requests == []
    assert "absent.csv" in capsys.readouterr().err


def test_retry_after_a_network_fault_keeps_the_idempotency_key(csv_file: Path) -> None:
    def fail_after_reading(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset", request=request)

    server = Server(httpx.ConnectError("refused"), fail_after_reading, created())

    assert server.run("--inspection", "insp-1", str(csv_file)) == 0
    keys = {r.headers["Idempotency-Key"] for r in server.requests}
    assert len(server.requests) == 3 and len(keys) == 1
    assert all(r.content == CSV for r in server.requests)
    assert server.sleeps == [0.5, 1.0]


def test_503_with_retry_after_is_retried(csv_file: Path) -> None:
    busy = httpx.Response(503, headers={"Retry-After": "7"}, text="busy")
    server = Server(busy, created())

    assert server.run("--inspection", "insp-1", str(csv_file)) == 0
    assert server.sleeps == [7.0]
    assert len(server.requests) == 2


def test_exhausted_retries_exit_4(csv_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = Server(httpx.ConnectError("connection refused"))

    assert server.run("--inspection", "insp-1", "--retries", "3", str(csv_file)) == 4
    assert len(server.requests) == 4
    assert server.sleeps == [0.5, 1.0, 2.0]
    assert "ConnectError: connection refused" in capsys.readouterr().err


def test_backoff_is_capped_at_10_seconds(csv_file: Path) -> None:
    server = Server(httpx.Response(502))

    assert server.run("--inspection", "insp-1", "--retries", "6", str(csv_file)) == 4
    assert server.sleeps == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]


@pytest.mark.parametrize(
    ("retry_after", "delay"),
    [("7", 7.0), ("3600", 60.0), ("Wed, 21 Oct 2026 07:28:00 GMT", 1.0), ("", 1.0)],
)
def test_retry_after_is_honoured_and_capped(retry_after: str, delay: float) -> None:
    assert retry_delay(1, httpx.Response(503, headers={"Retry-After": retry_after})) == delay


def test_validation_errors_are_tabulated(
    csv_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = {
        "type": "about:blank",
        "title": "Invalid rows",
        "status": 422,
        "detail": "3 rows failed validation",
        "errors": [
            {"row": 17, "column": "case_ref", "code": "duplicate", "message": "already exists"},
            {"row": 42, "column": "Q2.1", "code": "not_applicable", "message": "should be na"},
            {"loc": [3, "tier"], "code": "enum", "message": "unknown tier"},
        ],
    }
    server = Server(httpx.Response(422, json=problem, headers=PROBLEM))

    assert server.run("--inspection", "insp-1", str(csv_file)) == 1
    out, err = capsys.readouterr()
    assert out == ""
    for text in ("Invalid rows", "3 rows failed validation", "Row", "Column", "Message"):
        assert text in err
    for text in ("17", "case_ref", "already exists", "42", "Q2.1", "should be na", "3.tier"):
        assert text in err


def test_only_the_first_200_errors_are_listed(
    csv_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    errors = [{"row": n, "column": "c", "code": "x", "message": "bad"} for n in range(1, 206)]
    problem = {"title": "Invalid rows", "status": 422, "errors": errors}
    server = Server(httpx.Response(422, json=problem, headers=PROBLEM))

    assert server.run("--inspection", "insp-1", str(csv_file)) == 1
    err = capsys.readouterr().err
    assert "200" in err and "201" not in err
    assert "5 more errors" in err


@pytest.mark.parametrize(("status", "exit_status"), [(401, 3), (403, 3), (404, 4), (409, 4)])
def test_refusals(
    csv_file: Path, capsys: pytest.CaptureFixture[str], status: int, exit_status: int
) -> None:
    problem = {"title": "Refused", "status": status, "detail": "the reason"}
    server = Server(httpx.Response(status, json=problem, headers=PROBLEM))

    assert server.run("--inspection", "insp-1", str(csv_file)) == exit_status
    assert len(server.requests) == 1
    err = capsys.readouterr().err
    assert "Refused" in err and "the reason" in err


def test_too_large_says_so(csv_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server = Server(httpx.Response(413, text="<html>" + "x" * 5000 + "</html>"))

    assert server.run("--inspection", "insp-1", str(csv_file)) == 4
    err = capsys.readouterr().err.replace("\n", "")
    assert "larger than the server accepts" in err
    assert "x" * 400 in err and "x" * 600 not in err  # the HTML body is cut short


def test_password_login(
    csv_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OMI_TOKEN")
    monkeypatch.setenv("OMI_PASSWORD", "s3cret-pw")
    token = httpx.Response(200, json={"access_token": "fresh", "token_type": "bearer"})
    server = Server(token, created())

    assert server.run("--inspection", "insp-1", "--username", "ann", str(csv_file)) == 0
    login, upload = server.requests
    assert login.url.path == "/api/v1/auth/token"
    assert login.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(login.content.decode()) == {
        "grant_type": ["password"],
        "username": ["ann"],
        "password": ["s3cret-pw"],
    }
    assert upload.headers["Authorization"] == "Bearer fresh"
    out, err = capsys.readouterr()
    assert "s3cret-pw" not in out + err and "fresh" not in out + err


def test_prompts_for_the_password(csv_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMI_TOKEN")
    monkeypatch.setattr("app.cli.upload.getpass.getpass", lambda prompt: "typed")
    server = Server(httpx.Response(200, json={"access_token": "fresh"}), created())

    assert server.run("--inspection", "insp-1", "--username", "ann", str(csv_file)) == 0
    assert parse_qs(server.requests[0].content.decode())["password"] == ["typed"]


def test_client_credentials_login(csv_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OMI_TOKEN")
    monkeypatch.setenv("OMI_CLIENT_ID", "loader")
    monkeypatch.setenv("OMI_CLIENT_SECRET", "shh")
    server = Server(httpx.Response(200, json={"access_token": "svc"}), created())

    assert server.run("--inspection", "insp-1", str(csv_file)) == 0
    assert parse_qs(server.requests[0].content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": ["loader"],
        "client_secret": ["shh"],
    }
    assert server.requests[1].headers["Authorization"] == "Bearer svc"


def test_refused_login_exits_3(
    csv_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OMI_TOKEN")
    monkeypatch.setenv("OMI_PASSWORD", "wrong")
    refused = httpx.Response(401, json={"title": "Bad credentials", "status": 401}, headers=PROBLEM)
    server = Server(refused)

    assert server.run("--inspection", "insp-1", "--username", "ann", str(csv_file)) == 3
    assert len(server.requests) == 1
    err = capsys.readouterr().err
    assert "login failed" in err and "Bad credentials" in err and "OMI_TOKEN" not in err


def test_help_documents_exit_statuses(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="omi")
    add_upload_parser(parser.add_subparsers())
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["upload", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "exit status:" in text
    for status in ("0", "1", "2", "3", "4"):
        assert f"\n  {status} " in text


def test_help_says_how_upsert_merges_and_that_xlsx_is_taken(
    capsys: pytest.CaptureFixture[str],
) -> None:
    parser = argparse.ArgumentParser(prog="omi")
    add_upload_parser(parser.add_subparsers())
    with pytest.raises(SystemExit):
        parser.parse_args(["upload", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "keep their values" in text and "empty cell clears" in text
    assert ".xlsx" in text and "first sheet" in text


def test_an_xlsx_file_is_sent_as_a_spreadsheet(tmp_path: Path) -> None:
    path = tmp_path / "cases.xlsx"
    path.write_bytes(b"PK\x03\x04 workbook bytes")
    server = Server(created())

    assert server.run("--inspection", "insp-1", str(path)) == 0
    assert server.requests[0].headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert server.requests[0].content == b"PK\x03\x04 workbook bytes"


def test_a_merge_dry_run_lists_what_would_change(
    csv_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change = {
        "row": 3,
        "case_ref": "C7",
        "case": "c" * 32,
        "before": {"rosh": "high", "release_date": "2012-01-01"},
        "after": {"rosh": "low", "release_date": None},
    }
    result = {**CREATED, "dry_run": True, "updated": 1, "unchanged": 4, "changes": [change]}
    server = Server(httpx.Response(201, json=result))

    assert server.run("--inspection", "insp-1", "--dry-run", "--mode", "upsert", str(csv_file)) == 0
    out = capsys.readouterr().out
    assert "1 updated, 4 unchanged" in out
    assert "row 3 C7: rosh high -> low, release_date 2012-01-01 -> (empty)" in out


def test_a_spreadsheet_fault_shows_its_cell(
    csv_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    problem = {
        "title": "Validation failed",
        "status": 422,
        "errors": [
            {"row": 4, "column": "sex", "code": "invalid", "message": "bad", "cell": "Sheet1!C5"}
        ],
    }
    server = Server(httpx.Response(422, json=problem, headers=PROBLEM))

    assert server.run("--inspection", "insp-1", str(csv_file)) == 1
    assert "Sheet1!C5" in capsys.readouterr().err
