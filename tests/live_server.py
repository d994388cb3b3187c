"""A real `omi serve` on loopback over a scratch database, for tests that need a live server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import _create_pg_database, backend

OMI = shutil.which("omi", path=str(Path(sys.executable).parent)) or "omi"
# A loaded machine (CI runs two suites side by side) imports the app slowly.
START_SECONDS = 120


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    log: Path


def omi(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run the `omi` command as a shell would, capturing its output."""
    return subprocess.run(
        [OMI, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120
    )


@contextmanager
def scratch_database(folder: Path) -> Iterator[str]:
    """A new, empty database of the suite's kind; dropped afterwards."""
    if backend() == "postgresql":
        url, drop = _create_pg_database()
        try:
            yield url
        finally:
            drop()
    else:
        yield f"sqlite:///{folder / 'live.db'}"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_ready(url: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"omi serve exited: {log.read_text()}")
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"omi serve did not become ready in {START_SECONDS} seconds")


@contextmanager
def live_server(
    folder: Path, env_changes: dict[str, str], prepare: Callable[[dict[str, str]], None]
) -> Iterator[LiveServer]:
    """Migrate a scratch database, let `prepare` run `omi` commands on it, then serve it."""
    with scratch_database(folder) as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, **env_changes}
        done = omi(env, "db", "upgrade")
        assert done.returncode == 0, done.stderr
        prepare(env)
        url = f"http://127.0.0.1:{_free_port()}"
        log = folder / "serve.log"
        with log.open("w") as log_file:
            server = subprocess.Popen(
                [OMI, "serve", "--port", url.rsplit(":", 1)[1]], env=env, stderr=log_file
            )
        try:
            _wait_until_ready(url, server, log)
            yield LiveServer(url, env, log)
        finally:
            server.terminate()
            server.wait(timeout=30)
