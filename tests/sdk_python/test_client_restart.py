"""The server goes away mid-stream and comes back: every event is stored, and only once.

A thread keeps capturing while the real server is stopped (gracefully, or killed with
SIGKILL so that a batch may be stored without its answer reaching the client) and started
again on the same port and data directory. The client retries with the uuids it gave each
event at `capture()`, so the server stores every uuid exactly once; `sent_at` is stamped per
attempt, so events that waited out the outage keep the time they were captured at.

The same rule, made deterministic: a proxy drops the server's answer to a batch the server
has stored; the client's retry is stored once, and the copy is counted as `duplicate_event`.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from hedgerow_client import Client

from readback import assert_close, parse_time, unique, wait_for_events
from server import TOKEN, Server, free_port


def wait_until(condition: str, check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        time.sleep(0.02)


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
def test_no_event_lost_and_none_stored_twice(tmp_path: Path, stop_signal: int) -> None:
    server = Server(tmp_path / "data", port=free_port()).start()
    client = Client(
        TOKEN,
        host=server.url,
        flush_at=20,
        flush_interval=0.05,
        max_retries=10_000,
        retry_base_delay=0.05,
        max_retry_delay=0.5,
        timeout=5,
    )
    event = unique("sdk restart")
    captured: dict[str, datetime] = {}
    streaming = threading.Event()
    streaming.set()

    def stream() -> None:
        index = 0
        while streaming.is_set():
            now = datetime.now(UTC)
            event_uuid = client.capture(
                event, distinct_id=f"user-{index % 7}", properties={"index": index}
            )
            captured[event_uuid] = now
            index += 1
            time.sleep(0.004)

    producer = threading.Thread(target=stream, daemon=True)
    producer.start()
    try:
        wait_until("events to be delivered", lambda: client.stats.sent >= 200)
        server.stop(stop_signal)
        retries = client.stats.retries
        wait_until("the client to retry", lambda: client.stats.retries >= retries + 3)
        during_outage = len(captured)
        server.start()
        sent_after = client.stats.sent
        wait_until("delivery to resume", lambda: client.stats.sent > sent_after + 100)
        streaming.clear()
        producer.join(10)

        assert client.flush(60)
        stats = client.stats
        assert (stats.captured, stats.sent, stats.failed, stats.dropped) == (
            len(captured),
            len(captured),
            0,
            0,
        )
        assert len(captured) > during_outage > 200

        rows = wait_for_events(server, event, len(captured), timeout=60)
        stored = [row["uuid"] for row in rows]
        assert len(stored) == len(set(stored)), "an event was stored twice"
        assert set(stored) == set(captured), "an event was lost"
        for row in rows:
            # timestamps were corrected with the sent_at of the attempt that got through
            assert_close(row["timestamp"], captured[row["uuid"]], tolerance=2)
        assert parse_time(rows[0]["timestamp"]) <= datetime.now(UTC)
        assert server.status()["processed"] == len(captured)
    finally:
        streaming.clear()
        client.shutdown(1)
        if server.process is not None:
            server.stop()


class AnswerLosingProxy:
    """Forwards requests to the real server; the first answer is thrown away and the
    connection closed, as when a network drops a response the server had already sent."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.forwarded: list[int] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = httpx.post(proxy.target + self.path, content=body, headers=headers)
                proxy.forwarded.append(answer.status_code)
                if len(proxy.forwarded) == 1:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(answer.status_code)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_a_batch_stored_but_not_acknowledged_is_stored_once(server: Server) -> None:
    proxy = AnswerLosingProxy(server.url)
    event = unique("sdk lost answer")
    before = server.status()["discarded"].get("duplicate_event", 0)
    try:
        with Client(TOKEN, host=proxy.url, flush_interval=60, retry_base_delay=0.05) as client:
            sent = [client.capture(event, distinct_id="u1", properties={"i": i}) for i in range(10)]
            assert client.flush(30)
            assert client.stats.retries == 1
    finally:
        proxy.stop()

    assert proxy.forwarded == [200, 200]  # the server took the same batch twice
    rows = wait_for_events(server, event, 10)
    assert sorted(row["uuid"] for row in rows) == sorted(sent)
    deadline = time.monotonic() + 30
    while server.status()["discarded"].get("duplicate_event", 0) < before + 10:
        assert time.monotonic() < deadline, "the second copy was not discarded as duplicate_event"
        time.sleep(0.05)
