"""`hedgerow import`: a generated dataset (persons with merges) captured through /batch/,
exported with `hedgerow export` to CSV, JSON lines and Parquet, and each file imported into
a new data directory gives the same trends, funnel, persons and events; a file imported
again (or a copy of it) stores nothing twice; an import killed half-way resumes and stores
each event once; rejected rows are reported with their line and reason."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from import_data import (
    START,
    empty_installation,
    generated_events,
    hedgerow,
    import_files,
    readings,
    send,
)

from server import Server


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The source installation's readings and its events exported to each format."""
    root = tmp_path_factory.mktemp("import-source")
    server = Server(root / "data").start()
    events = generated_events()
    try:
        send(server, events)
        before = readings(server)
    finally:
        server.stop()
    files = {}
    for fmt in ("csv", "jsonl", "parquet"):
        files[fmt] = root / f"events.{fmt}"
        done = hedgerow(
            "export", "--format", fmt, "--project", "1", "--data-dir", str(root / "data"),
            "--no-progress", str(files[fmt]),
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    yield {"files": files, "readings": before, "sent": events}


def test_the_source_readings_are_what_was_sent(exported: dict[str, Any]) -> None:
    """The oracle the round trip is compared with holds what the generator sent."""
    sent = exported["sent"]
    readings = exported["readings"]
    assert [row[0] for row in readings["events"]] == [e["uuid"] for e in sent]
    identified = {e["distinct_id"] for e in sent if e["event"] == "signed up"}
    # Every visitor is one person, user-0 and user-2 are one after $merge_dangerously.
    assert len(readings["persons"]) == 30 - 1
    assert sum(1 for ids, *_ in readings["persons"] if len(ids) > 1) == len(identified) - 1
    assert readings["funnel"][0][1] == 29  # persons: user-0 and user-2 are one


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_round_trip(exported: dict[str, Any], fmt: str, tmp_path: Path) -> None:
    server = empty_installation(tmp_path / "data")
    report = import_files(server.data_dir, exported["files"][fmt])
    sent = len(exported["sent"])
    assert f"{sent:,} sent to ingestion" in report and f"{sent:,} events stored" in report
    server.start()
    try:
        assert readings(server) == exported["readings"]
    finally:
        server.stop()


def test_the_same_file_twice_stores_each_event_once(
    exported: dict[str, Any], tmp_path: Path
) -> None:
    source = exported["files"]["parquet"]
    copy = tmp_path / "copy-of-events.parquet"
    shutil.copyfile(source, copy)
    server = empty_installation(tmp_path / "data")
    import_files(server.data_dir, source)
    again = import_files(server.data_dir, source)
    assert "imported already" in again
    restarted = import_files(server.data_dir, source, extra=("--restart",))
    sent = len(exported["sent"])
    assert f"0 sent to ingestion, {sent:,} stored already" in restarted
    copied = import_files(server.data_dir, copy)
    assert f"0 sent to ingestion, {sent:,} stored already" in copied
    server.start()
    try:
        assert readings(server) == exported["readings"]
    finally:
        server.stop()


def _big_file(path: Path, events: int) -> list[str]:
    uuids = []
    with path.open("w") as out:
        for i in range(events):
            uuids.append(str(uuid.uuid4()))
            row = {
                "uuid": uuids[-1],
                "event": "$pageview" if i % 3 else "$identify",
                "distinct_id": f"user-{i % 997}",
                "timestamp": (START + timedelta(seconds=i)).isoformat(),
                "properties": {"n": i, "$anon_distinct_id": f"anon-{i % 997}"},
            }
            out.write(json.dumps(row) + "\n")
    return uuids


def _checkpoint(data_dir: Path) -> dict[str, Any] | None:
    for path in (data_dir / "imports").glob("*.json"):
        found: dict[str, Any] = json.loads(path.read_text())
        return found
    return None


def test_an_import_killed_half_way_resumes_and_stores_each_event_once(tmp_path: Path) -> None:
    server = empty_installation(tmp_path / "data")
    source = tmp_path / "big.jsonl"
    total = 20_000
    uuids = _big_file(source, total)
    command = [sys.executable, "-m", "hedgerow", "import", str(source), "--project", "1"]
    command += ["--data-dir", str(server.data_dir), "--no-progress", "--batch-rows", "100"]
    # Small ingestion batches: the checkpoint moves every 500 events, so the kill lands
    # between two of them.
    env = {**os.environ, "HEDGEROW_BATCH_SIZE": "500"}
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while (checkpoint := _checkpoint(server.data_dir)) is None or checkpoint["rows"] < 1_000:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, "the import made no checkpoint"
        time.sleep(0.01)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    killed_at = _checkpoint(server.data_dir)
    assert killed_at is not None and not killed_at["done"] and killed_at["rows"] < total
    report = import_files(server.data_dir, source)
    assert f"(resumed after row {killed_at['rows']:,})" in report
    server.start()
    try:
        sql = "SELECT count(), uniqExact(uuid) FROM events"
        assert server.query({"kind": "HogQLQuery", "query": sql})["results"] == [[total, total]]
        stored = []
        for offset in range(0, total, 10_000):
            sql = f"SELECT uuid FROM events ORDER BY timestamp LIMIT 10000 OFFSET {offset}"
            stored += [
                row[0] for row in server.query({"kind": "HogQLQuery", "query": sql})["results"]
            ]
        assert stored == uuids
    finally:
        server.stop()


def test_rejected_rows_are_reported_with_their_line_and_reason(tmp_path: Path) -> None:
    server = empty_installation(tmp_path / "data")
    # None of these distinct ids has a person: captured, the event buffer would hold them;
    # imported as history, they are stored at once.
    good = {"event": "seen", "distinct_id": "ann", "timestamp": "2026-11-01T10:00:00Z"}
    lines = [
        json.dumps(good),  # 1
        "{not json",  # 2
        json.dumps({**good, "distinct_id": ""}),  # 3
        "",  # 4: blank, skipped
        json.dumps({**good, "timestamp": "yesterday-ish"}),  # 5
        json.dumps([1, 2]),  # 6
        json.dumps({k: v for k, v in good.items() if k != "event"}),  # 7
        json.dumps({**good, "uuid": "not-a-uuid"}),  # 8
        json.dumps({**good, "properties": "[1]"}),  # 9
        json.dumps({**good, "distinct_id": "ben", "timestamp": "2026-11-01T11:00:00Z"}),  # 10
    ]
    source = tmp_path / "mixed.jsonl"
    source.write_text("\n".join(lines) + "\n")
    report = import_files(server.data_dir, source)
    rejects = [json.loads(line) for line in (tmp_path / "mixed.jsonl.rejects.jsonl").open()]
    assert [(r["line"], r["reason"]) for r in rejects] == [
        (2, "invalid_json"),
        (3, "missing_distinct_id"),
        (5, "invalid_timestamp"),
        (6, "invalid_json"),
        (7, "missing_event"),
        (8, "invalid_uuid"),
        (9, "invalid_json_column"),
    ]
    assert all(r["message"] for r in rejects)
    assert "9 rows read, 2 sent to ingestion, 0 stored already, 7 rejected" in report

    mapped = tmp_path / "signups.csv"
    mapped.write_text(
        "who,what,when,plan,page\n"
        "carl,signed up,2026-11-02T09:00:00Z,pro,/pricing\n"
        'dora,signed up,"not, a time",free,/home\n'
        "dora,signed up,2026-11-02T09:05:00+01:00,free,/home\n"
    )
    maps = ["--map", "who=distinct_id", "--map", "what=event", "--map", "when=timestamp"]
    maps += ["--map", "plan=set.plan", "--map", "page=properties.$pathname"]
    csv_report = import_files(server.data_dir, mapped, extra=tuple(maps))
    assert "3 rows read, 2 sent to ingestion, 0 stored already, 1 rejected" in csv_report
    csv_rejects = [json.loads(line) for line in (tmp_path / "signups.csv.rejects.jsonl").open()]
    assert [(r["line"], r["reason"]) for r in csv_rejects] == [(3, "invalid_timestamp")]

    server.start()
    try:
        stored = server.events(orderBy=["timestamp ASC"], after="2026-10-01")
        assert [(e["event"], e["distinct_id"]) for e in stored] == [
            ("seen", "ann"),
            ("seen", "ben"),
            ("signed up", "dora"),  # 09:05 in UTC+1
            ("signed up", "carl"),
        ]
        assert stored[2]["timestamp"].startswith("2026-11-02T08:05:00")
        assert stored[3]["properties"]["$pathname"] == "/pricing"
        with server.api() as client:
            carl = client.get("/api/projects/1/persons/", params={"distinct_id": "carl"})
        assert carl.json()["results"][0]["properties"]["plan"] == "pro"
        # Beside the running server the import refuses and changes nothing.
        again = hedgerow("import", str(source), "--restart", "--project", "1",
                         "--data-dir", str(server.data_dir), "--no-progress")  # fmt: skip
        assert again.returncode == 2 and "cannot run while `hedgerow serve`" in again.stderr
        assert f"`POST {server.url}/batch/`" in again.stderr
        assert len(server.events(after="2026-10-01")) == 4
    finally:
        server.stop()
