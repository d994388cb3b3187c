"""Servers for the load benchmark: the service and the bare baseline, same uvicorn settings.

Both are started by `python -m bench.load_serve TARGET`, which passes uvicorn what
`omi serve` passes it, so the two differ only in the application they serve.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import uvicorn

SERVICE = "app.main:create_app"
BARE = "bench.bare_app:app"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("target", choices=[SERVICE, BARE])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    if args.target == SERVICE:
        from app.config import get_settings
        from app.logs import configure_logging

        configure_logging(get_settings().log_level)
    uvicorn.run(
        args.target,
        factory=args.target == SERVICE,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        server_header=False,
        access_log=False,
        log_config=None,
        proxy_headers=True,
    )


class Server:
    """A server in its own process; its logs go to a temporary file, read if it fails.

    (A pipe nobody drains would fill with the service's access log and stall it.)
    """

    def __init__(self, target: str, port: int, workers: int, env: dict[str, str]) -> None:
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        command = [sys.executable, "-m", "bench.load_serve", target]
        self.process = subprocess.Popen(
            [*command, "--port", str(port), "--workers", str(workers)],
            env=env,
            cwd=Path(__file__).resolve().parent.parent,
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        self.pid = self.process.pid

    def wait_ready(self, url: str, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_tail()}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server at {url} not ready after {seconds}s")

    def log_tail(self) -> str:
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-2000:]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def cpu_seconds(pid: int) -> float:
    """User and system CPU of a process and its descendants (uvicorn's worker processes)."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or _descends(int(fields[1]), pid):
            total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def _descends(parent: int, ancestor: int) -> bool:
    while parent > 1:
        if parent == ancestor:
            return True
        try:
            parent = int(Path(f"/proc/{parent}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            return False
    return False


if __name__ == "__main__":
    main()
