"""A tiny capture endpoint on 127.0.0.1 that records every request and answers as told.

For the SDK's delivery rules (batching, retries, backoff, what is sent on the wire) where the
real server cannot be made to answer 503 or 429 on demand. Everything the SDK must show
about stored events is tested against the real server instead.
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int

    @property
    def uuids(self) -> list[str]:
        return [event["uuid"] for event in self.body["batch"]]


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None  # wait for this before answering


class CaptureStub:
    """`replies` are used in order, one per request; once used up every answer is 200."""

    def __init__(self, port: int = 0) -> None:
        self.requests: list[Received] = []
        self.replies: list[Reply] = []
        self.on_request: Callable[[Received], None] | None = None
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    raw = gzip.decompress(raw)
                with stub._lock:
                    reply = stub.replies.pop(0) if stub.replies else Reply()
                    received = Received(
                        self.path, dict(self.headers), json.loads(raw), reply.status
                    )
                    stub.requests.append(received)
                if reply.hold is not None:
                    reply.hold.wait(30)
                answer = b'{"status":1}' if reply.status == 200 else b'{"error":"stub says no"}'
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> CaptureStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def delivered(self) -> list[dict[str, Any]]:
        """Events of the requests answered 200, in order."""
        with self._lock:
            return [e for r in self.requests if r.status == 200 for e in r.body["batch"]]

    def wait_for(self, count: int, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(events := self.delivered()) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        return events
