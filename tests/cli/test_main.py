"""The `omi` command, run as SPEC section 10 writes it, against a fresh SQLite file."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from app import config, db
from app.cli import main as cli
from app.cli.demo import DEMO_PASSWORD, DEMO_USERS
from app.config import Settings
from app.main import create_app
from app.models import AuditEvent, Case, Inspection, ServiceClient, SurveyResponse, UserAccount

PASSWORD = "correct-horse-battery"


@pytest.fixture
def cli_db(monkeypatch, tmp_path) -> Iterator[Engine]:
    """DATABASE_URL names an empty SQLite file; the command and the API both use it."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    engine = db.build_engine(url)
    # Read afresh at each call, so a test may change OMI_ENV; restored after the test.
    monkeypatch.setattr(config, "get_settings", lambda: Settings())
    monkeypatch.setattr(db, "get_engine", lambda: engine)
    yield engine
    engine.dispose()


@pytest.fixture
def upgraded(cli_db: Engine) -> Engine:
    assert cli.main(["db", "upgrade"]) == 0
    return cli_db


@pytest.fixture
def api() -> Iterator[TestClient]:
    with TestClient(create_app(), raise_server_exceptions=False) as client:
        yield client


def run(
    argv: list[str], capsys, stdin: str | None = None, monkeypatch=None
) -> tuple[int, str, str]:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse refuses bad arguments this way
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def token_for(api: TestClient, **form: str) -> dict:
    response = api.post("/api/v1/auth/token", data=form)
    assert response.status_code == 200, response.text
    return response.json()


def count(engine: Engine, model) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


# --- db upgrade ---------------------------------------------------------------------------


def test_db_upgrade_migrates_and_loads_reference_data_once(cli_db, capsys):
    code, out, _ = run(["db", "upgrade"], capsys)
    assert code == 0
    first = json.loads(out.split(":", 1)[1])
    assert first["programmes"] == 4 and first["frameworks"] == 3 and first["trusts"] == 42 + 35 + 12
    assert first["establishments"] > 100
    code, out, _ = run(["db", "upgrade"], capsys)
    assert code == 0
    assert set(json.loads(out.split(":", 1)[1]).values()) == {0}


# --- users add ----------------------------------------------------------------------------


def test_users_add_creates_an_account_that_can_log_in(upgraded, api, capsys, monkeypatch):
    argv = ["users", "add", "alice", "--role", "probation_inspector", "--password-stdin"]
    code, out, _ = run(argv, capsys, stdin=PASSWORD + "\n", monkeypatch=monkeypatch)
    assert code == 0 and "alice" in out and PASSWORD not in out
    token = token_for(api, grant_type="password", username="alice", password=PASSWORD)
    assert token["token_type"] == "bearer"
    with Session(upgraded) as session:
        user = session.exec(select(UserAccount).where(UserAccount.username == "alice")).one()
        assert PASSWORD not in user.password_hash and user.password_hash.startswith("$argon2")
        assert session.exec(select(AuditEvent).where(AuditEvent.resource_id == user.id)).first()


def test_users_add_gives_a_trust_account_its_trust(upgraded, api, capsys, monkeypatch):
    argv = ["users", "add", "tees", "--role", "trust", "--trust", "durham-tees-valley"]
    code, _, _ = run([*argv, "--password-stdin"], capsys, stdin=PASSWORD, monkeypatch=monkeypatch)
    assert code == 0
    token = token_for(api, grant_type="password", username="tees", password=PASSWORD)
    letters = api.get(
        "/api/v1/findings-letters", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert letters.status_code == 200, letters.text


def test_users_add_takes_several_roles(upgraded, capsys, monkeypatch):
    argv = ["users", "add", "both", "--role", "analyst", "--role", "uploader", "--password-stdin"]
    assert run(argv, capsys, stdin=PASSWORD, monkeypatch=monkeypatch)[0] == 0
    with Session(upgraded) as session:
        user = session.exec(select(UserAccount).where(UserAccount.username == "both")).one()
        assert sorted(user.roles) == ["analyst", "uploader"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["users", "add", "x", "--role", "wizard", "--password-stdin"], "invalid choice"),
        (["users", "add", "x", "--password-stdin"], "--role"),
        (["users", "add", "--role", "admin"], "username"),
        (["users"], "required: COMMAND"),
        (["clients", "add", "svc", "--role", "root"], "invalid choice"),
        (["serve", "--port", "eighty"], "invalid int value"),
        ([], "required: COMMAND"),
    ],
)
def test_bad_arguments_exit_non_zero_with_a_message(cli_db, capsys, argv, message):
    code, _, err = run(argv, capsys)
    assert code == 2 and message in err


def test_users_add_wants_the_password_on_stdin(upgraded, capsys):
    code, _, err = run(["users", "add", "x", "--role", "admin"], capsys)
    assert code == 2 and "--password-stdin" in err
    assert count(upgraded, UserAccount) == 0


@pytest.mark.parametrize(
    ("extra", "password", "fault"),
    [
        (["--role", "trust"], PASSWORD, "the trust role needs a trust"),
        (["--role", "trust", "--trust", "atlantis"], PASSWORD, "unknown trust"),
        (["--role", "admin", "--trust", "cumbria"], PASSWORD, "only the trust role"),
        (["--role", "admin"], "short", "too_short"),
    ],
)
def test_an_invalid_account_is_refused_with_its_faults(
    upgraded, capsys, monkeypatch, extra, password, fault
):
    argv = ["users", "add", "x", *extra, "--password-stdin"]
    code, _, err = run(argv, capsys, stdin=password, monkeypatch=monkeypatch)
    assert code == 1 and err.startswith("error: ") and fault in err
    assert count(upgraded, UserAccount) == 0


def test_a_second_user_of_the_same_name_is_refused(upgraded, capsys, monkeypatch):
    argv = ["users", "add", "alice", "--role", "admin", "--password-stdin"]
    assert run(argv, capsys, stdin=PASSWORD, monkeypatch=monkeypatch)[0] == 0
    code, _, err = run(argv, capsys, stdin=PASSWORD, monkeypatch=monkeypatch)
    assert code == 1 and "already exists" in err
    assert count(upgraded, UserAccount) == 1


# --- clients add --------------------------------------------------------------------------


def test_clients_add_prints_a_secret_once_that_gets_a_token(upgraded, api, capsys):
    argv = ["clients", "add", "durham-letters", "--role", "trust", "--trust", "durham-tees-valley"]
    code, out, _ = run(argv, capsys)
    assert code == 0
    secret = out.strip().splitlines()[-1]
    token = token_for(
        api, grant_type="client_credentials", client_id="durham-letters", client_secret=secret
    )
    assert token["token_type"] == "bearer"
    with Session(upgraded) as session:
        stored = session.exec(select(ServiceClient)).one()
        assert secret not in stored.secret_hash and stored.trust_code == "durham-tees-valley"


def test_a_client_with_a_bad_name_is_refused(upgraded, capsys):
    code, out, err = run(["clients", "add", "no spaces", "--role", "uploader"], capsys)
    assert code == 1 and "client_id" in err and out == ""
    assert count(upgraded, ServiceClient) == 0


# --- demo, serve, openapi -----------------------------------------------------------------


def test_demo_refuses_outside_development_mode(upgraded, capsys, monkeypatch):
    monkeypatch.setenv("OMI_ENV", "production")
    code, _, err = run(["demo"], capsys)
    assert code == 2 and "OMI_ENV=development" in err
    assert count(upgraded, UserAccount) == 0


def test_demo_loads_users_and_an_inspection_once(upgraded, api, capsys, monkeypatch):
    monkeypatch.setenv("OMI_ENV", "development")
    assert run(["demo"], capsys)[0] == 0
    assert run(["demo"], capsys)[0] == 0
    assert count(upgraded, UserAccount) == len(DEMO_USERS)
    assert count(upgraded, Inspection) == 1
    assert (count(upgraded, Case), count(upgraded, SurveyResponse)) == (20, 25)
    token = token_for(api, grant_type="password", username="analyst", password=DEMO_PASSWORD)
    scores = api.get(
        f"/api/v1/inspections/{demo_inspection_id(upgraded)}/scores",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert scores.status_code == 200 and scores.json()["cases"] == 20
    # Every demo case was submitted by one account and approved by another, so the demo
    # inspection can be taken through to publication.
    assert scores.json()["cases_approved"] == 20
    inspector = token_for(api, grant_type="password", username="probation", password=DEMO_PASSWORD)
    who = {"Authorization": f"Bearer {inspector['access_token']}"}
    moves = f"/api/v1/inspections/{demo_inspection_id(upgraded)}/transitions"
    for status in ("reporting", "published"):
        moved = api.post(moves, json={"to": status}, headers=who)
        assert moved.status_code == 200, moved.text


def demo_inspection_id(engine: Engine) -> str:
    with Session(engine) as session:
        return session.exec(select(Inspection.id)).one()


def test_serve_hands_the_host_and_port_to_uvicorn(monkeypatch):
    import uvicorn

    from app.cli import worker

    calls: list[tuple[str, dict]] = []
    workers: list[object] = []
    monkeypatch.setattr(uvicorn, "run", lambda target, **kw: calls.append((target, kw)))
    # The delivery worker starts beside the server; a real one would keep polling the test
    # database on a thread of this process for the rest of the run.
    monkeypatch.setattr(worker, "start_in_background", workers.append)
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    assert len(workers) == 1
    [(target, options)] = calls
    assert target == "app.main:create_app" and options["factory"] is True
    assert (options["host"], options["port"]) == ("0.0.0.0", 8123)


def test_openapi_writes_the_apps_document(tmp_path, capsys):
    output = tmp_path / "openapi.json"
    assert cli.main(["openapi", "--output", str(output)]) == 0
    written = json.loads(Path(output).read_text())
    assert written == create_app().openapi()
    assert cli.main(["openapi", "--output", "-"]) == 0
    assert json.loads(capsys.readouterr().out) == written


def test_openapi_without_a_signing_key_says_what_to_set(tmp_path, capsys, monkeypatch):
    from app import main

    monkeypatch.setattr(main, "get_settings", lambda: Settings(jwt_secret="", omi_env="production"))
    code, _, err = run(["openapi", "--output", str(tmp_path / "openapi.json")], capsys)
    assert code == 2 and "JWT_SECRET" in err and "OMI_ENV=development" in err
    assert not (tmp_path / "openapi.json").exists()
