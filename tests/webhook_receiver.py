"""A trust system's webhook endpoint on loopback, for tests that run real servers."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


class Receiver:
    """A trust system's endpoint on loopback: answers 503 while down, 204 while up."""

    def __init__(self) -> None:
        self.down = False
        self.requests: list[Received] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 503 if receiver.down else 204
                with receiver.lock:
                    receiver.requests.append(Received(dict(self.headers), body, status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/omi-letters"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def for_delivery(self, delivery_id: str) -> list[Received]:
        with self.lock:
            return [r for r in self.requests if r.headers["webhook-id"] == delivery_id]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
