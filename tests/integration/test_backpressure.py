"""Backpressure against the real server: when ingestion stalls or the disk fills, capture
answers 503 with `Retry-After` and acknowledges nothing it has not written; when the pressure
goes it resumes by itself, and every acknowledged event is stored exactly once.

The disk tests mount a small tmpfs as the data directory (the suite runs as root locally and
in CI); they are skipped, saying why, where mounting is not permitted.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import requests
from posthog import Posthog
from posthog import request as posthog_request

from server import TOKEN, Server

MIB = 1024 * 1024


def _events(count: int, padding: int = 0) -> list[dict[str, Any]]:
    """Events of anonymous users (their `$device_id`), which the event buffer never holds."""
    events = []
    for i in range(count):
        properties: dict[str, Any] = {"$device_id": f"device-{i % 7}"}
        if padding:
            properties["pad"] = "x" * padding
        events.append(
            {
                "event": "backpressure",
                "distinct_id": f"device-{i % 7}",
                "uuid": str(uuid.uuid4()),
                "properties": properties,
            }
        )
    return events


def _send(client: httpx.Client, events: list[dict[str, Any]]) -> httpx.Response:
    return client.post("/batch/", json={"api_key": TOKEN, "batch": events})


def _assert_refused(response: httpx.Response, code: str) -> None:
    assert response.status_code == 503, response.text
    assert response.json() == {"status": 503, "code": code, "error": response.json()["error"]}
    assert response.json()["error"]
    assert int(response.headers["Retry-After"]) > 0


class Ledger:
    """What capture acknowledged and what it refused, by uuid."""

    def __init__(self) -> None:
        self.acknowledged: list[str] = []
        self.refused: list[str] = []

    def send(self, client: httpx.Client, events: list[dict[str, Any]]) -> httpx.Response:
        response = _send(client, events)
        uuids = [e["uuid"] for e in events]
        if response.status_code == 200:
            self.acknowledged += uuids
        else:
            self.refused += uuids
        return response

    def send_until(
        self,
        client: httpx.Client,
        status: int,
        size: int = 1,
        timeout: float = 30,
        padding: int = 0,
    ) -> httpx.Response:
        """Send batches of `size` until one is answered `status`; return that answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            response = self.send(client, _events(size, padding))
            if response.status_code == status:
                return response
            time.sleep(0.02)
        raise AssertionError(f"capture never answered {status}; last: {response.text}")

    def assert_stored_once(self, server: Server, held: int = 0) -> None:
        """Every acknowledged event is stored once, and nothing else (but `held` events
        the event buffer still holds, counted as received)."""
        server.wait_ingested(len(self.acknowledged) + held)
        counts = _stored_uuid_counts(server)
        assert {u: counts.get(u) for u in self.acknowledged} == dict.fromkeys(self.acknowledged, 1)
        assert not set(self.refused) & set(counts)
        assert len(counts) == len(self.acknowledged)


def _stored_uuid_counts(server: Server) -> Counter[str]:
    page = server.query({"kind": "EventsQuery", "select": ["uuid", "count()"], "limit": 10_000})
    assert not page["hasMore"]
    return Counter({row[0]: row[1] for row in page["results"]})


def _pause(server: Server, pause_file: Path) -> None:
    pause_file.touch()
    deadline = time.monotonic() + 10
    while not server.status()["paused"]:
        assert time.monotonic() < deadline, "ingestion never reported paused"
        time.sleep(0.02)


# -- ingestion stalls --------------------------------------------------------------------


def test_a_stalled_ingestion_fills_the_backlog_then_capture_resumes(tmp_path: Path) -> None:
    pause_file = tmp_path / "pause"
    server = Server(
        tmp_path / "data",
        HEDGEROW_INGESTION_PAUSE_FILE=str(pause_file),
        HEDGEROW_INTAKE_MAX_BACKLOG="300",
    ).start()
    ledger = Ledger()
    try:
        _pause(server, pause_file)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            refusal = ledger.send_until(client, 503, size=7)
            _assert_refused(refusal, "intake_full")
            assert len(ledger.acknowledged) == 294  # 42 batches of 7; a 43rd is past 300
            status = server.status()
            assert status["paused"] is True
            assert status["queued"] == 294 and status["received"] == 0
            _assert_refused(ledger.send(client, _events(7)), "intake_full")
            assert ledger.send(client, _events(6)).status_code == 200  # exactly up to 300

            pause_file.unlink()
            ledger.send_until(client, 200, size=7)  # resumes by itself
        assert server.status()["paused"] is False
        ledger.assert_stored_once(server)
    finally:
        server.stop()


def test_ingestion_lagging_answers_503_until_it_catches_up(tmp_path: Path) -> None:
    pause_file = tmp_path / "pause"
    server = Server(
        tmp_path / "data",
        HEDGEROW_INGESTION_PAUSE_FILE=str(pause_file),
        HEDGEROW_INTAKE_MAX_LAG="0.5",
        HEDGEROW_BUFFER_DELAY="3600",
    ).start()
    ledger = Ledger()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            # Events the event buffer holds (an identified id with no person yet) have left
            # the intake log: however long they wait, they are not ingestion lagging.
            held = [{"event": "signed up", "distinct_id": "alice", "uuid": str(uuid.uuid4())}]
            assert _send(client, held).status_code == 200
            deadline = time.monotonic() + 10
            while (status := server.status())["buffered_oldest_age_seconds"] <= 1.0:
                assert time.monotonic() < deadline, status
                time.sleep(0.05)
            assert status["buffered"] == 1 and status["queued"] == 0
            assert ledger.send(client, _events(5)).status_code == 200
            server.wait_ingested(6)
            _pause(server, pause_file)
            refusal = ledger.send_until(client, 503)
            _assert_refused(refusal, "ingestion_lagging")
            assert len(ledger.acknowledged) > 5
            assert server.status()["lag_seconds"] > 0.5

            pause_file.unlink()
            ledger.send_until(client, 200)
        ledger.assert_stored_once(server, held=1)
    finally:
        server.stop()


def _open_unfinished_request(server: Server, padding: int = 0) -> socket.socket:
    """A capture request whose body is only half sent: it stays in flight in the server."""
    body = orjson.dumps({"api_key": TOKEN, "batch": _events(1, padding)})
    sock = socket.create_connection(("127.0.0.1", server.port))
    head = (
        f"POST /batch/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    sock.sendall(head.encode() + body[: len(body) // 2])
    return sock


def test_capture_busy_past_the_requests_in_flight_then_resumes(tmp_path: Path) -> None:
    server = Server(
        tmp_path / "data", HEDGEROW_CAPTURE_MAX_IN_FLIGHT="2", HEDGEROW_BODY_TIMEOUT="60"
    ).start()
    ledger = Ledger()
    try:
        slow = [_open_unfinished_request(server) for _ in range(2)]
        with httpx.Client(base_url=server.url, timeout=10) as client:
            refusal = ledger.send_until(client, 503)  # once both are inside the handler
            _assert_refused(refusal, "capture_busy")
            assert refusal.headers["Retry-After"] == "1"
            for sock in slow:  # the client goes away: its request leaves the handler
                sock.close()
            ledger.send_until(client, 200)
            assert ledger.send(client, _events(3)).status_code == 200
        ledger.assert_stored_once(server)
    finally:
        server.stop()


def test_capture_busy_past_the_body_bytes_in_flight_then_resumes(tmp_path: Path) -> None:
    # The bodies held at once are bounded too, not only their number: with a 64 KiB budget,
    # a request that would take it past the budget is refused before its body is read.
    server = Server(
        tmp_path / "data",
        HEDGEROW_CAPTURE_MAX_IN_FLIGHT_BYTES="64KiB",
        HEDGEROW_BODY_TIMEOUT="60",
    ).start()
    ledger = Ledger()
    try:
        slow = _open_unfinished_request(server, padding=40_000)  # holds ~40 KB
        with httpx.Client(base_url=server.url, timeout=10) as client:
            refusal = ledger.send_until(client, 503, size=30, padding=1_000)  # ~33 KB more
            _assert_refused(refusal, "capture_busy")
            assert "--capture-max-in-flight-bytes" in refusal.json()["error"]
            assert ledger.send(client, _events(3)).status_code == 200  # small ones still fit
            slow.close()  # its bytes are released when its request ends
            ledger.send_until(client, 200, size=30, padding=1_000)
        ledger.assert_stored_once(server)
    finally:
        server.stop()


def _helper_pids(server: Server) -> list[int]:
    assert server.process is not None
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    return [int(pid) for pid in children.read_text().split()]


def test_capture_busy_while_received_requests_wait_past_the_delay(tmp_path: Path) -> None:
    # A queue that outlasts --capture-max-delay: the helper that prepares big bodies is
    # stopped, so a big batch, fully received, waits; with 100 requests in flight (the
    # unfinished ones count, but only received requests' waits do), new requests are
    # refused at once instead of queueing behind it; when the helper resumes, so does capture.
    server = Server(
        tmp_path / "data", HEDGEROW_CAPTURE_MAX_DELAY="0.5", HEDGEROW_BODY_TIMEOUT="60"
    ).start()
    ledger = Ledger()
    helpers = _helper_pids(server)
    assert len(helpers) == 1
    open_requests: list[socket.socket] = []
    try:
        with (
            httpx.Client(base_url=server.url, timeout=30) as client,
            httpx.Client(base_url=server.url, timeout=30) as other,
        ):
            open_requests = [_open_unfinished_request(server) for _ in range(100)]
            assert ledger.send(client, _events(3)).status_code == 200  # not behind yet
            os.kill(helpers[0], signal.SIGSTOP)
            stuck_batch = _events(40, padding=2_000)  # over 64 KiB: goes to the helper
            with ThreadPoolExecutor(1) as pool:
                stuck = pool.submit(ledger.send, other, stuck_batch)
                refusal = ledger.send_until(client, 503)
                _assert_refused(refusal, "capture_busy")
                assert "--capture-max-delay" in refusal.json()["error"]
                os.kill(helpers[0], signal.SIGCONT)
                assert stuck.result().status_code == 200  # the waiting one was never dropped
            ledger.send_until(client, 200)
        ledger.assert_stored_once(server)
    finally:
        os.kill(helpers[0], signal.SIGCONT)
        for sock in open_requests:
            sock.close()
        server.stop()


def test_posthog_python_delivers_everything_through_a_stall(tmp_path: Path) -> None:
    pause_file = tmp_path / "pause"
    server = Server(
        tmp_path / "data",
        HEDGEROW_INGESTION_PAUSE_FILE=str(pause_file),
        HEDGEROW_INTAKE_MAX_BACKLOG="300",
    ).start()
    ledger = Ledger()
    statuses: list[int] = []
    seen_refusal = threading.Event()

    def observe(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        statuses.append(response.status_code)
        if response.status_code == 503:
            seen_refusal.set()

    # posthog-python retries a batch answered 503 (any 5xx), waiting the longer of its
    # exponential backoff (1, 2, 4 ... s) and Retry-After; 8 retries outlast this stall.
    sdk = Posthog(TOKEN, host=server.url, max_retries=8, flush_at=50, sync_mode=False)
    sent: list[str] = []
    hooks: list[Any] = []
    try:
        _pause(server, pause_file)
        with httpx.Client(base_url=server.url, timeout=10) as client:
            _assert_refused(ledger.send_until(client, 503, size=30), "intake_full")
        # Only observes the answers the SDK's requests get (it sends through this session).
        hooks = posthog_request._get_session().hooks["response"]
        hooks.append(observe)
        for i in range(120):
            event_uuid = str(uuid.uuid4())
            sdk.capture("sdk event", distinct_id=f"sdk-{i % 3}", uuid=event_uuid)
            sent.append(event_uuid)
        assert seen_refusal.wait(30), statuses
        pause_file.unlink()
        sdk.flush()
        sdk.shutdown()
        assert statuses.count(503) >= 1 and statuses[-1] == 200

        server.wait_ingested(len(ledger.acknowledged) + len(sent))
        counts = _stored_uuid_counts(server)
        assert {u: counts.get(u) for u in sent} == dict.fromkeys(sent, 1)
        assert {u: counts.get(u) for u in ledger.acknowledged} == dict.fromkeys(
            ledger.acknowledged, 1
        )
    finally:
        if observe in hooks:
            hooks.remove(observe)
        server.stop()


# -- the disk fills ----------------------------------------------------------------------


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 MiB tmpfs to serve as the data directory (chDB and SQLite start in under 1 MiB)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not permitted here: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        if subprocess.run(["umount", str(mount_point)], capture_output=True).returncode:
            subprocess.run(["umount", "--lazy", str(mount_point)], check=True)


def _free_bytes(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def _fill(disk: Path, leave: int) -> Path:
    """A filler file that leaves `leave` bytes free on the disk."""
    filler = disk / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        os.posix_fallocate(fd, 0, _free_bytes(disk) - leave)
    finally:
        os.close(fd)
    assert 0 < _free_bytes(disk) <= leave
    return filler


def _integrity(database: Path) -> str:
    with sqlite3.connect(database) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def test_low_disk_answers_disk_full_until_space_is_freed(small_disk: Path) -> None:
    server = Server(small_disk, HEDGEROW_MIN_FREE_DISK="16MiB").start()
    ledger = Ledger()
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            assert ledger.send(client, _events(20)).status_code == 200
            server.wait_ingested(20)
            filler = _fill(small_disk, leave=8 * MIB)
            _assert_refused(ledger.send_until(client, 503, size=5), "disk_full")
            _assert_refused(ledger.send(client, _events(5)), "disk_full")
            filler.unlink()
            ledger.send_until(client, 200, size=5)
        ledger.assert_stored_once(server)
    finally:
        server.stop()


def test_writes_that_find_the_disk_full_are_refused_or_retried_and_lose_nothing(
    small_disk: Path, tmp_path: Path
) -> None:
    # The free-space check barely applies (1 byte): the writes themselves meet the full disk.
    pause_file = tmp_path / "pause"
    server = Server(
        small_disk, HEDGEROW_MIN_FREE_DISK="1", HEDGEROW_INGESTION_PAUSE_FILE=str(pause_file)
    ).start()
    intake = small_disk / "intake.sqlite3"
    ledger = Ledger()
    try:
        _pause(server, pause_file)
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for _ in range(5):  # to be ingested while the disk is full
                assert ledger.send(client, _events(100, padding=200)).status_code == 200
            filler = _fill(small_disk, leave=64 * 1024)
            big = _events(300, padding=4096)  # 1.2 MiB: more than the free space and the WAL
            wal = intake.with_name(intake.name + "-wal")
            assert _free_bytes(small_disk) + wal.stat().st_size < 300 * 4096
            _assert_refused(ledger.send(client, big), "intake_unavailable")
            _assert_refused(ledger.send(client, _events(300, padding=4096)), "intake_unavailable")

            pause_file.unlink()  # ingestion meets the full disk (chDB reserves MiBs per part)
            deadline = time.monotonic() + 20
            while (status := server.status())["last_error"] is None:
                assert time.monotonic() < deadline, status
                time.sleep(0.05)
            assert status["processed"] == 0 and status["healthy"] is False

            filler.unlink()
            assert _integrity(intake) == "ok"
            assert ledger.send(client, _events(300, padding=4096)).status_code == 200
            assert ledger.send(client, _events(10)).status_code == 200
        ledger.assert_stored_once(server)
        assert server.status()["healthy"] is True
    finally:
        server.stop()
    assert _integrity(intake) == "ok"
