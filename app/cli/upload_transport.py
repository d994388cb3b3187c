"""HTTP side of `omi upload`: streamed request bodies, progress and retries with backoff."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from types import TracebackType
from typing import BinaryIO

import httpx
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

CHUNK_SIZE = 64 * 1024
RETRYABLE_STATUSES = frozenset({502, 503, 504})
FIRST_BACKOFF = 0.5
MAX_BACKOFF = 10.0
MAX_RETRY_AFTER = 60.0

Sleep = Callable[[float], None]
Fault = httpx.TransportError | httpx.Response


class RetriesExhausted(Exception):
    """Every attempt failed with a network fault or a 502/503/504."""

    def __init__(self, attempts: int, fault: Fault) -> None:
        super().__init__(f"gave up after {attempts} attempts: {describe_fault(fault)}")
        self.attempts = attempts
        self.fault = fault


def describe_fault(fault: Fault) -> str:
    if isinstance(fault, httpx.Response):
        return f"HTTP {fault.status_code} {fault.reason_phrase}".rstrip()
    return f"{type(fault).__name__}: {fault}" if str(fault) else type(fault).__name__


def body_size(fh: BinaryIO) -> int:
    fh.seek(0, 2)
    return fh.tell()


def file_chunks(
    fh: BinaryIO, on_chunk: Callable[[int], None] | None = None, chunk_size: int = CHUNK_SIZE
) -> Iterator[bytes]:
    """Yield the file from its start in chunks, so memory stays flat and a retry re-reads it."""
    fh.seek(0)
    while chunk := fh.read(chunk_size):
        if on_chunk is not None:
            on_chunk(len(chunk))
        yield chunk


def retry_delay(retry_index: int, response: httpx.Response | None = None) -> float:
    """Exponential backoff (0.5s, 1s, 2s, ... up to 10s) unless the server asks via Retry-After."""
    retry_after = response.headers.get("Retry-After", "").strip() if response is not None else ""
    if retry_after.isdigit():
        return min(float(retry_after), MAX_RETRY_AFTER)
    return min(FIRST_BACKOFF * 2**retry_index, MAX_BACKOFF)


def send_with_retries(
    send: Callable[[], httpx.Response],
    *,
    retries: int,
    sleep: Sleep,
    on_retry: Callable[[Fault, float], None] | None = None,
) -> httpx.Response:
    """Call `send` until it returns a non-retryable response; raise RetriesExhausted otherwise.

    `send` must build a fresh request each time (a new body iterator from the start of the
    file) and keep any Idempotency-Key the same, so the server can recognise a replay.
    """
    attempt = 0
    while True:
        try:
            response = send()
        except httpx.TransportError as exc:
            fault: Fault = exc
        else:
            if response.status_code not in RETRYABLE_STATUSES:
                return response
            fault = response
        if attempt >= retries:
            raise RetriesExhausted(attempt + 1, fault)
        delay = retry_delay(attempt, fault if isinstance(fault, httpx.Response) else None)
        if on_retry is not None:
            on_retry(fault, delay)
        sleep(delay)
        attempt += 1


def send_file(
    client: httpx.Client,
    path: str,
    body: BinaryIO,
    *,
    params: dict[str, str],
    headers: dict[str, str],
    progress: UploadProgress,
    retries: int,
    sleep: Sleep,
    on_retry: Callable[[Fault, float], None] | None = None,
) -> httpx.Response:
    """POST the file as a streamed body; every retry re-reads it from the start."""
    headers = {**headers, "Content-Length": str(body_size(body))}

    def chunks() -> Iterator[bytes]:
        yield from file_chunks(body, progress.advance)
        progress.waiting()

    def send() -> httpx.Response:
        progress.restart()
        return client.post(path, params=params, headers=headers, content=chunks())

    return send_with_retries(send, retries=retries, sleep=sleep, on_retry=on_retry)


class UploadProgress:
    """Bytes sent, total and speed on stderr while the body streams; silent when disabled."""

    def __init__(self, console: Console, total: int, *, enabled: bool) -> None:
        self._total = total
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console,
            transient=True,
            disable=not enabled,
        )
        self._task = self._bar.add_task("Uploading", total=total)

    def __enter__(self) -> UploadProgress:
        self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bar.stop()

    def restart(self) -> None:
        self._bar.reset(self._task, total=self._total, description="Uploading")

    def advance(self, sent: int) -> None:
        self._bar.advance(self._task, sent)

    def waiting(self) -> None:
        self._bar.update(self._task, description="Waiting for the server")
