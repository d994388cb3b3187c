"""Two `omi serve` processes on one PostgreSQL share one login throttle (SPEC 13 and 20).

Failed logins spread over both servers count against one limit; a process keeps no count
of its own. Another account behind the same address is not held back on either server, and
the audit log, read through the other server, has every attempt.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import backend
from tests.live_server import OMI, LiveServer, _free_port, _wait_until_ready, omi, scratch_database

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(backend() != "postgresql", reason="several servers share one PostgreSQL"),
]

PASSWORD = "two-servers-password-1"
# `omi serve` trusts X-Forwarded-For from loopback, as it would from a proxy in front.
SHARED_EGRESS = {"X-Forwarded-For": "203.0.113.10"}


@contextmanager
def servers(
    folder: Path, count: int, env_changes: dict[str, str], prepare: Callable[[dict[str, str]], None]
) -> Iterator[list[LiveServer]]:
    """`count` servers on one freshly migrated database, each its own process."""
    with scratch_database(folder) as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, **env_changes}
        done = omi(env, "db", "upgrade")
        assert done.returncode == 0, done.stderr
        prepare(env)
        with ExitStack() as stack:
            started = []
            for number in range(count):
                url = f"http://127.0.0.1:{_free_port()}"
                log = folder / f"serve-{number}.log"
                with log.open("w") as log_file:
                    process = subprocess.Popen(
                        [OMI, "serve", "--port", url.rsplit(":", 1)[1]], env=env, stderr=log_file
                    )
                stack.callback(process.wait, 30)
                stack.callback(process.terminate)
                started.append((LiveServer(url, env, log), process))
            for server, process in started:
                _wait_until_ready(server.url, process, server.log)
            yield [server for server, _ in started]


def _accounts(env: dict[str, str]) -> None:
    for username, role in (("target", "analyst"), ("neighbour", "analyst"), ("keeper", "admin")):
        done = omi(
            env, "users", "add", username, "--role", role, "--password-stdin", stdin=PASSWORD
        )
        assert done.returncode == 0, done.stderr


def login(server: LiveServer, username: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/v1/auth/token",
        data={"grant_type": "password", "username": username, "password": password},
        headers=SHARED_EGRESS,
        timeout=30,
    )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LiveServer]]:
    folder = tmp_path_factory.mktemp("two-servers")
    with servers(folder, 2, {"OMI_ENV": "production", "LOGIN_MAX_FAILURES": "4"}, _accounts) as up:
        yield up


def test_failures_spread_over_two_servers_count_against_one_limit(pair):
    first, second = pair
    # Four failures, two through each server: each process saw only two.
    for number in range(4):
        assert login(pair[number % 2], "target", "wrong-password").status_code == 401
    # The limit is reached on both, even for the right password.
    for server in (first, second):
        refused = login(server, "target")
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) > 0
    # Another account behind the same address is not held back, on either server.
    for server in (first, second):
        assert login(server, "neighbour").status_code == 200

    # Every attempt is in the audit log, read through the other server.
    token = login(second, "keeper").json()["access_token"]
    events = httpx.get(
        f"{first.url}/api/v1/audit-events",
        params={"resource_type": "login", "resource_id": "target", "limit": 50},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()["items"]
    actions = sorted(event["action"] for event in events)
    assert actions == ["login.refused"] * 4 + ["login.throttled"] * 2
    assert {event["after"]["address"] for event in events} == {"203.0.113.10"}
    assert all(
        PASSWORD not in str(event) and "wrong-password" not in str(event) for event in events
    )
