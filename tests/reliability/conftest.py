"""A scratch database the app really commits to, reached (on PostgreSQL) through a proxy.

The suite's usual fixtures run every request inside one rolled-back transaction on one
connection; a fault test needs the app's own engine, pool and transactions instead.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from app import db
from app.auth.security import issue_token
from app.migrate import upgrade
from app.models import UserAccount
from app.services.reference.loader import load_reference_data
from tests.builders import make_inspection
from tests.conftest import _create_pg_database, backend
from tests.reliability.tcp_proxy import TcpProxy


@dataclass(frozen=True)
class Seeded:
    inspection_id: str
    headers: dict[str, str]


@pytest.fixture(scope="module")
def scratch_url() -> Iterator[str]:
    """A migrated database of the run's backend, dropped after the module."""
    if backend() == "postgresql":
        url, drop = _create_pg_database()
    else:
        folder = Path(tempfile.mkdtemp(prefix="omi-fault-"))
        url = f"sqlite:///{folder / 'fault.db'}"

        def drop() -> None:
            for file in folder.glob("*"):
                file.unlink()
            folder.rmdir()

    upgrade(url)
    engine = db.build_engine(url)
    with Session(engine) as session:
        load_reference_data(session)
        session.commit()
    engine.dispose()
    yield url
    drop()


@pytest.fixture
def direct_engine(scratch_url: str) -> Iterator[Engine]:
    """The scratch database without the proxy: to set up and to check what was stored."""
    engine = db.build_engine(scratch_url)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded(direct_engine: Engine) -> Seeded:
    """An inspection in fieldwork and an admin account, committed."""
    with Session(direct_engine) as session:
        inspection = make_inspection(session)
        user = UserAccount(
            username=f"admin-{inspection.id}", password_hash="not-a-login-account", roles=["admin"]
        )
        session.add(user)
        session.commit()
        token, _ = issue_token(f"user:{user.id}", ["admin"], None)
        return Seeded(inspection.id, {"Authorization": f"Bearer {token}"})


@pytest.fixture
def proxy(scratch_url: str) -> Iterator[TcpProxy]:
    if backend() != "postgresql":
        pytest.skip("a dropped database connection needs PostgreSQL")
    target = make_url(scratch_url)
    with TcpProxy(target.host or "127.0.0.1", target.port or 5432) as running:
        yield running


@pytest.fixture
def proxied_engine(scratch_url: str, proxy: TcpProxy) -> Iterator[Engine]:
    """The service's own engine (pool, pre-ping, timeouts), connecting through the proxy."""
    url = make_url(scratch_url).set(host="127.0.0.1", port=proxy.port)
    engine = db.build_engine(url.render_as_string(hide_password=False))
    yield engine
    engine.dispose()


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch) -> Callable[[Engine], TestClient]:
    """A client of a fresh app whose every session and probe uses the given engine."""
    from app.main import create_app
    from app.routers import health

    clients: list[TestClient] = []

    def serve_with(engine: Engine) -> TestClient:
        monkeypatch.setattr(db, "get_engine", lambda: engine)
        monkeypatch.setattr(health, "get_engine", lambda: engine)
        client = TestClient(create_app(), raise_server_exceptions=False)
        clients.append(client.__enter__())
        return client

    yield serve_with
    for client in clients:
        client.__exit__(None, None, None)
