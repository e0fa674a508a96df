"""`hedgerow backup` while the official posthog-python SDK sends, `hedgerow restore` into a new
data directory, a server started on it: every event acknowledged before the backup began is
there exactly once, no event twice, and the persons (with their merges) are the same.

Also: a backup with no server running, a damaged backup refused by its checksums, a backup
over a non-empty directory and a restore into one refused, the control endpoint's token."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import posthog.consumer
import posthog.request
import pytest
from posthog import Posthog

from server import TOKEN, Server

EVENT = "backup flow"
USERS = 5  # each an anonymous id merged into a user id before the backup


def hedgerow(*args: str, data_dir: Path, **more_env: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEDGEROW_DATA_DIR": str(data_dir), **more_env}
    return subprocess.run(
        [sys.executable, "-m", "hedgerow", *args, "--no-progress"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


class AckRecorder:
    """posthog-python sending continuously; each batch's uuids with the moment its upload
    was answered 2xx (the SDK's acknowledgement)."""

    def __init__(self, url: str, monkeypatch: pytest.MonkeyPatch) -> None:
        self.acked: list[tuple[float, list[str]]] = []
        self.captured: set[str] = set()
        post = posthog.request.batch_post

        def recorded(*args: Any, **kwargs: Any) -> Any:
            answer = post(*args, **kwargs)  # raises unless 2xx
            self.acked.append((time.monotonic(), [m["uuid"] for m in kwargs["batch"]]))
            return answer

        monkeypatch.setattr(posthog.consumer, "batch_post", recorded)
        self.client = Posthog(
            project_api_key=TOKEN,
            host=url,
            flush_at=20,
            flush_interval=0.05,
            max_retries=6,
            enable_local_evaluation=False,
        )
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._send)

    def merge_users(self) -> None:
        for i in range(USERS):
            self._capture(EVENT, f"anon-{i}", {"seq": -1 - i})
            self._capture(
                "$identify", f"user-{i}", {"$anon_distinct_id": f"anon-{i}", "$set": {"n": i}}
            )
        self.client.flush()

    def start(self) -> None:
        self._thread.start()

    def _capture(self, event: str, distinct_id: str, properties: dict[str, Any]) -> None:
        event_uuid = self.client.capture(event, distinct_id=distinct_id, properties=properties)
        assert event_uuid is not None
        self.captured.add(event_uuid)

    def _send(self) -> None:
        seq = 0
        while not self._stop.wait(0.02):
            for _ in range(5):
                self._capture(EVENT, f"user-{seq % USERS}", {"seq": seq})
                seq += 1

    def acked_before(self, moment: float) -> set[str]:
        return {u for at, batch in self.acked if at < moment for u in batch if u in self.captured}

    def finish(self) -> None:
        self._stop.set()
        self._thread.join()
        self.client.flush()
        self.client.shutdown()


def stored_uuids(server: Server) -> dict[str, int]:
    sql = "SELECT toString(uuid), count() FROM events GROUP BY uuid"
    rows = server.query({"kind": "HogQLQuery", "query": sql + " LIMIT 10000"})["results"]
    assert len(rows) < 10_000
    return {str(u): int(n) for u, n in rows}


def persons_of_users(server: Server) -> dict[str, list[str]]:
    found = {}
    with server.api() as client:
        for i in range(USERS):
            answer = client.get("/api/projects/1/persons/", params={"distinct_id": f"user-{i}"})
            answer.raise_for_status()
            [person] = answer.json()["results"]
            found[f"user-{i}"] = [*sorted(person["distinct_ids"]), str(person["properties"]["n"])]
    return found


def wait_received(server: Server, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while int(server.status()["received"]) < count:
        assert time.monotonic() < deadline, "the SDK's events did not arrive"
        time.sleep(0.05)


def wait_queued(server: Server, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while int(server.status()["queued"]) < count:
        assert time.monotonic() < deadline, "no events waited in the intake log"
        time.sleep(0.05)


def test_backup_while_an_sdk_sends_restores_every_acknowledged_event_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data, backup, restored_dir = tmp_path / "data", tmp_path / "backup", tmp_path / "restored"
    pause = tmp_path / "pause-ingestion"
    server = Server(data, HEDGEROW_INGESTION_PAUSE_FILE=str(pause)).start()
    sender = AckRecorder(server.url, monkeypatch)
    try:
        sender.merge_users()
        server.wait_ingested(2 * USERS)
        persons_before = persons_of_users(server)
        sender.start()
        wait_received(server, 300)
        # Ingestion paused: the backup finds acknowledged events still waiting in the intake
        # log beside the stored ones; both must come back.
        pause.touch()
        wait_queued(server, 100)
        assert (data / "control.json").exists()
        began = time.monotonic()
        done = hedgerow("backup", str(backup), data_dir=data)
        assert done.returncode == 0, done.stderr
        assert "through the running server" in done.stderr
        pause.unlink()
        wait_received(server, int(server.status()["received"]) + 100)  # capture went on
    finally:
        sender.finish()
        server.stop()
    assert not (data / "control.json").exists()
    acked = sender.acked_before(began)
    assert len(acked) >= 300

    done = hedgerow("restore", str(backup), data_dir=restored_dir)
    assert done.returncode == 0, done.stderr
    restored = Server(restored_dir).start()
    try:
        restored.wait_ingested(0)  # the copied intake log's waiting events are ingested
        stored = stored_uuids(restored)
        assert acked <= set(stored), f"{len(acked - set(stored))} acknowledged events lost"
        assert set(stored) <= sender.captured
        assert max(stored.values()) == 1, "an event was restored twice"
        assert persons_of_users(restored) == persons_before
    finally:
        restored.stop()


@pytest.fixture(scope="module")
def offline_backup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, int]]:
    """A data directory with events, backed up with no server running."""
    root = tmp_path_factory.mktemp("offline")
    data, backup = root / "data", root / "backup"
    server = Server(data).start()
    try:
        batch = [
            {"event": EVENT, "distinct_id": f"d{i % 7}", "properties": {"seq": i}}
            for i in range(500)
        ]
        httpx.post(
            server.url + "/batch/", json={"api_key": TOKEN, "batch": batch}
        ).raise_for_status()
        server.wait_ingested(500)
        events = stored_uuids(server)
    finally:
        server.stop()
    done = hedgerow("backup", str(backup), data_dir=data)
    assert done.returncode == 0, done.stderr
    assert "through the running server" not in done.stderr
    return data, backup, events


def test_offline_backup_restores(tmp_path: Path, offline_backup: tuple[Path, Path, Any]) -> None:
    _, backup, events = offline_backup
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["tables"]["events"]["rows"] == 500
    assert "persons.sqlite3" in manifest["files"]
    done = hedgerow("restore", str(backup), data_dir=tmp_path / "restored")
    assert done.returncode == 0, done.stderr
    assert "events 500" in done.stderr
    restored = Server(tmp_path / "restored").start()
    try:
        assert stored_uuids(restored) == events
    finally:
        restored.stop()


def test_a_damaged_backup_is_refused(
    tmp_path: Path, offline_backup: tuple[Path, Path, Any]
) -> None:
    _, backup, _ = offline_backup
    copy = tmp_path / "copy"
    subprocess.run(["cp", "-a", str(backup), str(copy)], check=True)
    part = next((copy / "events" / "events").iterdir())
    damaged = next(p for p in part.iterdir() if p.name.endswith(".bin"))
    raw = bytearray(damaged.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    damaged.write_bytes(bytes(raw))
    done = hedgerow("restore", str(copy), data_dir=tmp_path / "restored")
    assert done.returncode == 1
    assert "does not match its checksum" in done.stderr
    assert damaged.name in done.stderr


def test_backup_and_restore_refuse_non_empty_directories(
    tmp_path: Path, offline_backup: tuple[Path, Path, Any]
) -> None:
    data, backup, _ = offline_backup
    done = hedgerow("backup", str(backup), data_dir=data)
    assert done.returncode == 1
    assert "not an empty directory" in done.stderr
    done = hedgerow("restore", str(backup), data_dir=data)
    assert done.returncode == 1
    assert "is not empty" in done.stderr


def test_the_control_endpoint_needs_the_token(tmp_path: Path) -> None:
    server = Server(tmp_path / "data").start()
    try:
        control = json.loads((tmp_path / "data" / "control.json").read_text())
        assert control["url"] == server.url
        assert oct((tmp_path / "data" / "control.json").stat().st_mode & 0o777) == "0o600"
        dest = str(tmp_path / "b")
        for header in ({}, {"Authorization": "Bearer wrong"}):
            answer = httpx.post(
                server.url + "/_instance/backup", json={"dest": dest}, headers=header
            )
            assert answer.status_code == 401
            assert answer.json()["code"] == "invalid_control_token"
        assert not (tmp_path / "b").exists()
    finally:
        server.stop()


def test_backup_refuses_an_installation_on_servers(tmp_path: Path) -> None:
    url = "postgresql://hedgerow@127.0.0.1:1/hedgerow"
    done = hedgerow("backup", str(tmp_path / "b"), data_dir=tmp_path, HEDGEROW_PERSONS_URL=url)
    assert done.returncode == 2
    assert "their own tools" in done.stderr and "postgresql" in done.stderr
    assert not (tmp_path / "b").exists()
