"""`hedgerow import` and the server it must not run beside: refused with what to do instead
while `hedgerow serve` runs; and an erasure job that the stopped server left unfinished
(an event of the person captured before the erasure still queued) is finished by the import
before it stores anything, so no trace of the person comes back. The import keeps the
project's "discard client IP data", and records its run and the job in the audit log."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from import_data import hedgerow, import_files

from server import TOKEN, Server, poll

NOW = datetime.now(UTC).replace(microsecond=0)


def _event(name: str, distinct_id: str, minutes_ago: int, **properties: Any) -> dict[str, Any]:
    return {
        "event": name,
        "distinct_id": distinct_id,
        "uuid": str(uuid.uuid4()),
        "timestamp": (NOW - timedelta(minutes=minutes_ago)).isoformat(),
        "properties": {"$device_id": distinct_id, **properties},
    }


def _send(server: Server, events: list[dict[str, Any]]) -> None:
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": events})
    assert response.status_code == 200, response.text


def _sql(server: Server, sql: str) -> list[list[Any]]:
    """SQL computed now (`force_blocking`: never an answer of the result cache)."""
    body = {"query": {"kind": "HogQLQuery", "query": sql}, "refresh": "force_blocking"}
    with server.api() as client:
        answer = client.post("/api/projects/1/query/", json=body)
    assert answer.status_code == 200, answer.text
    rows: list[list[Any]] = answer.json()["results"]
    return rows


def _count(server: Server, sql: str) -> int:
    return int(_sql(server, sql)[0][0])


def _persons(server: Server, distinct_id: str) -> list[dict[str, Any]]:
    with server.api() as client:
        found = client.get("/api/projects/1/persons/", params={"distinct_id": distinct_id})
    results: list[dict[str, Any]] = found.json()["results"]
    return results


def test_an_import_finishes_the_erasure_a_stopped_server_left(tmp_path: Path) -> None:
    pause = tmp_path / "pause"
    server = Server(tmp_path / "data", HEDGEROW_INGESTION_PAUSE_FILE=str(pause)).start()
    source = tmp_path / "history.jsonl"
    bob = _event("$pageview", "bob", 29)
    bob_again = _event("purchase", "bob", 20, **{"$ip": "203.0.113.9", "price": 12})
    carl = _event("$pageview", "carl", 19)
    source.write_text("".join(json.dumps(e) + "\n" for e in (bob_again, carl)))
    try:
        _send(server, [_event("$pageview", "alice", 30), bob])
        poll(lambda: _count(server, "SELECT count() FROM events"), lambda n: n == 2)
        [alice] = poll(lambda: _persons(server, "alice"), lambda found: len(found) == 1)
        with server.api() as client:
            changed = client.patch("/api/projects/1/", json={"anonymize_ips": True})
            assert changed.status_code == 200, changed.text

        # Alice's erasure, while one more of her events (captured before it) waits in the
        # intake log: the job stays in its draining phase as long as ingestion is paused.
        pause.touch()
        poll(server.status, lambda s: s["paused"])
        _send(server, [_event("$pageview", "alice", 1)])
        poll(server.status, lambda s: s["queued"] == 1)
        with server.api() as client:
            answer = client.delete(
                f"/api/projects/1/persons/{alice['id']}/", params={"delete_events": "true"}
            )
            assert answer.status_code == 202, answer.text
            job_url = f"/api/projects/1/erasures/{answer.json()['id']}/"
            job = poll(lambda: client.get(job_url).json(), lambda j: j["phase"] == "draining")

        # Beside the running server the import refuses, names the alternatives, stores nothing.
        refused = hedgerow("import", str(source), "--project", "1",
                           "--data-dir", str(server.data_dir), "--no-progress")  # fmt: skip
        assert refused.returncode == 2, refused.stderr
        assert f"`POST {server.url}/batch/`" in refused.stderr
        assert "stop the server, run the import" in refused.stderr
        assert not (tmp_path / "data" / "imports").exists()
    finally:
        server.stop()
    pause.unlink(missing_ok=True)

    report = import_files(server.data_dir, source)
    assert f"finished erasure job {job['id']}" in report
    assert "2 rows read, 2 sent to ingestion" in report

    server = Server(tmp_path / "data").start()
    try:
        with server.api() as client:
            finished = client.get(job_url).json()
        assert finished["status"] == "done" and finished["error"] is None
        # No trace of alice: not the event captured before the erasure, nor her person.
        assert _count(server, "SELECT count() FROM events WHERE distinct_id = 'alice'") == 0
        assert _persons(server, "alice") == []
        assert server.status()["discarded"].get("person_erased") == 1
        # The file's events are stored, without the client IP the project discards.
        rows = _sql(server, "SELECT uuid, distinct_id, properties FROM events ORDER BY timestamp")
        assert [(r[0], r[1]) for r in rows] == [
            (bob["uuid"], "bob"),
            (bob_again["uuid"], "bob"),
            (carl["uuid"], "carl"),
        ]
        stored = json.loads(rows[1][2]) if isinstance(rows[1][2], str) else rows[1][2]
        assert stored["price"] == 12 and "$ip" not in stored

        with server.api() as client:
            entries = client.get("/api/projects/1/activity_log/").json()["results"]
        [erasure] = [e for e in entries if e["activity"] == "erasure_finished"]
        assert erasure["item_id"] == str(job["id"]) and erasure["actor"]["kind"] == "cli"
        assert erasure["detail"]["persons"] == 1 and erasure["detail"]["events_deleted"] == 1
        [run] = [e for e in entries if e["activity"] == "import_run"]
        assert run["actor"]["kind"] == "cli" and run["project_id"] == 1
        assert run["detail"] == {
            "files": ["history.jsonl"],
            "rows": 2,
            "sent": 2,
            "stored_already": 0,
            "rejected": 0,
            "stored": 2,
            "discarded": 0,  # alice's queued event went before the files: not counted
        }
    finally:
        server.stop()
