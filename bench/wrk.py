"""Load from wrk, a compiled HTTP generator: one run, its figures, and its own CPU use.

wrk (Debian's `wrk` package) keeps its connections busy from C, so the rate it
measures is the server's, not the client's, as long as wrk's own CPU share stays below
the server's; every run records both, and `WrkRun.client_bound` says when it did not.
A Lua script sets the request and reports the figures as one JSON line; it also counts
responses whose status is not the one expected, so a read meant to be answered 304
cannot pass as fast while it is answered 200, or the reverse.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

MARKER = "WRK-FIGURES "

LUA = """
local variants = {variants}
local expected = {expected}
local threads = {{}}
local prepared = {{}}
local turn = 0
function setup(thread) table.insert(threads, thread) end
function init(args)
  unexpected = 0
  for i, v in ipairs(variants) do
    prepared[i] = wrk.format(v.method, v.path, v.headers, v.body)
  end
end
function request()
  turn = turn % #prepared + 1
  return prepared[turn]
end
function response(status, headers, body)
  if not expected[status] then unexpected = unexpected + 1 end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("unexpected") end
  local e = summary.errors
  io.write(string.format(
    '{marker}{{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,'
    .. '"unexpected":%d,"socket_errors":%d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    bad, e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class Variant:
    path: str
    headers: Mapping[str, str]
    method: str = "GET"
    body: str | None = None


@dataclass(frozen=True)
class Request:
    """What one wrk process sends: its variants in turn, each answered one of `expected`."""

    name: str
    base_url: str
    variants: tuple[Variant, ...]
    expected: tuple[int, ...] = (200,)
    # At most this many connections, whatever the run asks for (None: no ceiling).
    max_connections: int | None = None


@dataclass(frozen=True)
class WrkRun:
    name: str
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    unexpected: int
    socket_errors: int
    wrk_cpu: float = 0.0
    server_cpu: float = 0.0

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def errors(self) -> int:
        return self.unexpected + self.socket_errors

    @property
    def client_bound(self) -> bool:
        """Whether wrk used as much CPU as the server: then the rate may be wrk's."""
        return self.wrk_cpu >= self.server_cpu

    @property
    def server_cpu_ms(self) -> float:
        return 1000 * self.server_cpu / max(self.requests, 1)


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    return path


def _lua_string(value: str | None) -> str:
    # Lua reads JSON's escapes of quotes, backslashes and newlines; other text goes as UTF-8.
    return "nil" if value is None else json.dumps(value, ensure_ascii=False)


def _lua_variant(variant: Variant) -> str:
    headers = ", ".join(
        f"[{_lua_string(key)}] = {_lua_string(value)}" for key, value in variant.headers.items()
    )
    return (
        f"{{method = {_lua_string(variant.method)}, path = {_lua_string(variant.path)}, "
        f"body = {_lua_string(variant.body)}, headers = {{{headers}}}}}"
    )


def _lua(request: Request) -> str:
    variants = ", ".join(_lua_variant(variant) for variant in request.variants)
    expected = ", ".join(f"[{status}] = true" for status in request.expected)
    return LUA.format(variants="{" + variants + "}", expected="{" + expected + "}", marker=MARKER)


@dataclass
class Running:
    request: Request
    process: subprocess.Popen[str]
    script: Path


def start(request: Request, *, seconds: float, connections: int, threads: int = 1) -> Running:
    """A wrk process in the background; several may load one server at once."""
    if request.max_connections is not None:
        connections = min(connections, request.max_connections)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(request))
    command = [
        require_wrk(),
        f"--threads={threads}",
        f"--connections={max(connections, threads)}",
        f"--duration={max(round(seconds), 1)}s",
        "--timeout=10s",
        f"--script={script.name}",
        request.base_url,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    return Running(request, process, Path(script.name))


def finish(running: Running) -> WrkRun:
    try:
        output, _ = running.process.communicate()
    finally:
        running.script.unlink()
    if running.process.returncode:
        raise RuntimeError(f"wrk failed for {running.request.name}: {output[-500:]}")
    line = next(line for line in output.splitlines() if line.startswith(MARKER))
    figures = json.loads(line[len(MARKER) :])
    return WrkRun(
        name=running.request.name,
        requests=figures["requests"],
        seconds=figures["duration_us"] / 1e6,
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        unexpected=figures["unexpected"],
        socket_errors=figures["socket_errors"],
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(
    request: Request,
    *,
    seconds: float,
    connections: int,
    threads: int,
    server_cpu: Callable[[], float],
) -> WrkRun:
    """One wrk run alone, with wrk's CPU and the server's over it."""
    wrk_before, server_before = _children_cpu(), server_cpu()
    result = finish(start(request, seconds=seconds, connections=connections, threads=threads))
    return replace(
        result, wrk_cpu=_children_cpu() - wrk_before, server_cpu=server_cpu() - server_before
    )
