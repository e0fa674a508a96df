"""The official SDKs keep sending while the server stops (SIGTERM) or dies (SIGKILL) and comes
back: every event the SDK reported as sent is stored exactly once, and nothing else is stored.

posthog-python (background consumer thread) and posthog-node (tests/node/send_continuously.mjs)
capture events continuously, each with a sequence number `seq` and the uuid the SDK makes. The
server is stopped or killed mid-stream, restarted on the same port and data directory after a
1 s pause while the SDK keeps capturing and retrying, and the sender ends with a flush.

What each SDK reports, read from its source:
- posthog-python: `capture()` returns None when it refuses an event (queue full, shut down);
  a batch it gives up on (retries exhausted, or a 4xx other than 408/429) goes to
  `on_error(error, batch)`. Everything else was answered 2xx.
- posthog-node: a batch it gives up on emits `error` (one batch is sent at a time, so the
  script attributes the error to the batch of the latest attempt). A full queue drops its
  oldest event with only a log line, so the queue is made large enough never to fill.

Retries, configured to outlast the downtime (a stop, the 1 s pause, a restart of under a
second here, a few seconds on a loaded machine), so that no event should be given up on:
- posthog-python waits 2**attempt s between attempts (1, 2, 4, ... capped at 30): 6 retries
  keep a batch for 61 s. Its default, 3, covers only 7 s.
- posthog-node waits a fixed `fetchRetryDelay`: 100 retries 300 ms apart keep a batch for
  30 s, and delivery resumes within 0.3 s of the restart. Its default, 3 x 3 s, covers 9 s.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import posthog.consumer
import posthog.request
import pytest
from posthog import Posthog

from readback import all_rows
from server import TOKEN, Server

NODE_SCRIPT = Path(__file__).resolve().parents[1] / "node" / "send_continuously.mjs"
EVENT = "sdk restart"
EVENTS_PER_TICK, TICK_SECONDS = 5, 0.02  # about 250 events/s, both SDKs
PAUSE_SECONDS = 1.0  # between the server's end and its restart
FLOWING = 100  # events the server must receive before it is stopped, and again after restart
PYTHON_MAX_RETRIES = 6
NODE_OPTIONS = {
    "flushAt": 20,
    "flushInterval": 100,
    "fetchRetryCount": 100,
    "fetchRetryDelay": 300,
    "maxQueueSize": 100_000,
}


@dataclass
class SenderReport:
    """What the SDK did: `captured` maps seq to uuid for every event it took."""

    captured: dict[int, str] = field(default_factory=dict)
    refused: int = 0  # capture calls the SDK refused at once
    failed: set[str] = field(default_factory=set)  # uuids of batches it reported failed
    errors: list[str] = field(default_factory=list)
    attempts: int = 0  # POSTs to /batch/
    failed_attempts: int = 0  # of those, how many got no 2xx (each was retried or reported)


class Sender(Protocol):
    def finish(self) -> SenderReport: ...


class PythonSender:
    """posthog-python's default background client, fed from a thread at a steady rate."""

    def __init__(self, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.report = SenderReport()
        self._lock = threading.Lock()
        self._count_attempts(monkeypatch)
        self.client = Posthog(
            project_api_key=TOKEN,
            host=url,
            flush_at=20,
            flush_interval=0.1,
            max_retries=PYTHON_MAX_RETRIES,
            max_queue_size=100_000,
            on_error=self._on_error,
            enable_local_evaluation=False,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._capture_continuously)
        self._thread.start()

    def _count_attempts(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Count the consumer's upload attempts, passing each through unchanged."""
        post = posthog.request.batch_post  # what the consumer module imported

        def counted(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.report.attempts += 1
            try:
                return post(*args, **kwargs)
            except Exception:
                with self._lock:
                    self.report.failed_attempts += 1
                raise

        monkeypatch.setattr(posthog.consumer, "batch_post", counted)

    def _on_error(self, error: Exception, batch: list[dict[str, Any]]) -> None:
        with self._lock:
            self.report.errors.append(str(error))
            self.report.failed.update(message["uuid"] for message in batch)

    def _capture_continuously(self) -> None:
        seq = 0
        while not self._stop.wait(TICK_SECONDS):
            for _ in range(EVENTS_PER_TICK):
                event_uuid = self.client.capture(
                    EVENT, distinct_id=f"py-restart-user-{seq % 10}", properties={"seq": seq}
                )
                if event_uuid is None:
                    self.report.refused += 1
                else:
                    self.report.captured[seq] = event_uuid
                seq += 1

    def finish(self) -> SenderReport:
        self._stop.set()
        self._thread.join()
        self.client.flush(timeout_seconds=None)
        self.client.shutdown()
        return self.report


class NodeSender:
    """posthog-node in its own process (tests/node/send_continuously.mjs)."""

    def __init__(self, url: str) -> None:
        spec = {
            "host": url,
            "token": TOKEN,
            "event": EVENT,
            "perTick": EVENTS_PER_TICK,
            "tickMs": TICK_SECONDS * 1000,
            "options": NODE_OPTIONS,
            "shutdownTimeoutMs": 60_000,
        }
        self.process = subprocess.Popen(
            ["node", str(NODE_SCRIPT), json.dumps(spec)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=NODE_SCRIPT.parent,
        )

    def finish(self) -> SenderReport:
        out, err = self.process.communicate("stop\n", timeout=90)
        assert self.process.returncode == 0, f"node failed: {out}\n{err}"
        result = json.loads(out)
        return SenderReport(
            captured={seq: event_uuid for seq, event_uuid in result["captured"]},
            failed=set(result["failed"]),
            errors=result["errors"],
            attempts=result["attempts"],
            failed_attempts=result["failedAttempts"],
        )


def start_sender(sdk: str, url: str, monkeypatch: pytest.MonkeyPatch) -> Sender:
    return PythonSender(url, monkeypatch) if sdk == "python" else NodeSender(url)


def wait_received(server: Server, count: int, timeout: float = 30) -> int:
    """Poll until ingestion has taken in `count` events; the number it has taken in."""
    deadline = time.monotonic() + timeout
    while (received := int(server.status()["received"])) < count:
        assert time.monotonic() < deadline, f"only {received} of {count} events arrived"
        time.sleep(0.05)
    return received


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["term", "kill"])
@pytest.mark.parametrize("sdk", ["python", "node"])
def test_every_event_reported_sent_is_stored_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sdk: str, stop_signal: int
) -> None:
    data = tmp_path / "data"
    server = Server(data).start()
    sender = start_sender(sdk, server.url, monkeypatch)
    try:
        wait_received(server, FLOWING)
        server.stop(stop_signal)
        time.sleep(PAUSE_SECONDS)  # the SDK keeps capturing, and retrying against a closed port
        server = Server(data, port=server.port).start()
        wait_received(server, server.status()["received"] + FLOWING)
    finally:
        report = sender.finish()
    try:
        # The sender has flushed: all it was answered for is in the intake log. Drain it.
        status = server.wait_ingested(0)
        rows = all_rows(server, ["uuid", "properties.seq"], event=EVENT, orderBy=["uuid ASC"])
    finally:
        server.stop()

    stored_uuids = Counter(event_uuid for event_uuid, _ in rows)
    stored_seqs = Counter(seq for _, seq in rows)
    seq_of = {event_uuid: seq for seq, event_uuid in report.captured.items()}
    delivered = {u for u in report.captured.values() if u not in report.failed}
    print(
        f"\n{sdk} {signal.Signals(stop_signal).name}: captured {len(report.captured)}, "
        f"stored {len(rows)}, refused {report.refused}, reported failed {len(report.failed)}, "
        f"attempts {report.attempts}, failed attempts (retried) {report.failed_attempts}, "
        f"duplicates the server dropped {status['discarded'].get('duplicate_event', 0)}"
    )
    assert [u for u, count in stored_uuids.items() if count > 1] == [], "a uuid stored twice"
    assert [s for s, count in stored_seqs.items() if count > 1] == [], "a seq stored twice"
    assert [(u, s) for u, s in rows if seq_of.get(u) != s] == [], "stored but never sent"
    lost = sorted(seq_of[u] for u in delivered if u not in stored_uuids)
    assert lost == [], f"{len(lost)} events reported sent were not stored: seq {lost[:20]}"
    # The retries outlast the downtime: the SDK gave up on nothing, and did meet the downtime.
    assert (report.refused, report.failed, report.errors) == (0, set(), [])
    assert report.failed_attempts > 0, "the SDK never saw the server gone"


SLOW_CLIENT_SECONDS = 0.5  # under the server's graceful shutdown timeout (10 s, cli.py)


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def test_sigterm_finishes_requests_in_flight_and_refuses_new_connections(tmp_path: Path) -> None:
    """A request whose body is still arriving when SIGTERM comes is answered 200 once its
    events are durable (they are there after a restart); meanwhile the port refuses new
    connections. (Past the graceful timeout such a request is cancelled and answered 500 or
    cut off, which SDKs retry: never a 200 for an event not stored.)"""
    data = tmp_path / "data"
    server = Server(data).start()
    assert server.process is not None
    event_uuid = str(uuid.uuid4())
    batch = [{"event": "in flight", "distinct_id": "sigterm-user", "uuid": event_uuid}]
    body = json.dumps({"api_key": TOKEN, "batch": batch}).encode()
    head = (
        "POST /batch/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(head)
        # The server says "100 Continue" once the application reads the body: in flight.
        assert connection.recv(1024).startswith(b"HTTP/1.1 100 ")
        server.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        while not _refused(server.port):
            assert time.monotonic() < deadline, "the port still takes new connections"
            time.sleep(0.05)
        time.sleep(SLOW_CLIENT_SECONDS)  # a client still sending, well into the shutdown
        assert server.process.poll() is None, "the server exited with a request in flight"
        connection.sendall(body)
        response = connection.makefile("rb").read()  # the server closes after answering
    assert response.startswith(b"HTTP/1.1 200 "), response
    assert response.endswith(b'{"status":1}'), response
    assert server.stop() == 0

    server = Server(data, port=server.port).start()
    try:
        server.wait_ingested(1)
        assert [row["uuid"] for row in server.events(event="in flight")] == [event_uuid]
    finally:
        server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/_health")
