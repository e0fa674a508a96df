"""The `sessions` table, kept at ingestion: for a generated dataset sent through capture,
every row read through the query API equals the oracle's computation over what was sent;
the table joins from `events` on `$session_id`; another project's sessions stay out; and a
store from before the table gets its sessions from its stored events when it starts, also
when the first start was killed half-way through that backfill."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sessions_data import expected_sessions, generate

from server import TOKEN, Server


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data: Path = tmp_path_factory.mktemp("sessions") / "data"
    server = Server(data).start()
    other_id, other_token, other_key = server.create_project("Other")
    start = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    events = generate(start)
    for i in range(0, len(events), 20):  # several batches: partial states to merge
        body = {"api_key": TOKEN, "batch": events[i : i + 20]}
        assert httpx.post(server.url + "/batch/", json=body).status_code == 200
    server.wait_ingested(len(events))
    other = [dict(events[0], uuid=None, properties=dict(events[0]["properties"], utm_source="x"))]
    other[0].pop("uuid")
    assert (
        httpx.post(
            server.url + "/batch/", json={"api_key": other_token, "batch": other}
        ).status_code
        == 200
    )
    server.wait_ingested(1, project=other_id, key=other_key)
    yield {"server": server, "events": events, "data": data, "other": (other_id, other_key)}
    server.stop()


def sql(server: Server, text: str, project: int = 1, key: str = "phx_test_key_1") -> dict[str, Any]:
    with server.api(key) as api:
        response = api.post(
            f"/api/projects/{project}/query/", json={"query": {"kind": "HogQLQuery", "query": text}}
        )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def _value(name: str, value: Any) -> Any:
    if name in ("$start_timestamp", "$end_timestamp") and value is not None:
        return datetime.fromisoformat(value).astimezone(UTC)
    return value


def read_sessions(
    server: Server, project: int = 1, key: str = "phx_test_key_1"
) -> dict[str, dict[str, Any]]:
    answer = sql(server, "SELECT * FROM sessions ORDER BY session_id", project, key)
    return {
        row[0]: {name: _value(name, v) for name, v in zip(answer["columns"], row, strict=True)}
        for row in answer["results"]
    }


def test_every_session_row_equals_the_raw_scan(sent: dict[str, Any]) -> None:
    expected = expected_sessions(sent["events"])
    got = read_sessions(sent["server"])
    assert len(expected) == 28
    assert set(got) == set(expected)
    for session, row in expected.items():
        assert got[session] == row, session
    bounces = [r["$is_bounce"] for r in expected.values()]
    assert True in bounces and False in bounces  # the dataset has both
    assert len({r["$channel_type"] for r in expected.values()}) >= 6


def test_sessions_join_from_events(sent: dict[str, Any]) -> None:
    answer = sql(
        sent["server"],
        "SELECT s.$channel_type, count() FROM events e JOIN sessions s "
        "ON e.$session_id = s.session_id GROUP BY 1 ORDER BY 1",
    )
    expected = expected_sessions(sent["events"])
    counts: dict[str, int] = {}
    for e in sent["events"]:
        if session := e["properties"].get("$session_id"):
            channel = expected[session]["$channel_type"]
            counts[channel] = counts.get(channel, 0) + 1
    assert answer["results"] == [[k, v] for k, v in sorted(counts.items())]


def test_another_projects_sessions_stay_out(sent: dict[str, Any]) -> None:
    other_id, other_key = sent["other"]
    theirs = read_sessions(sent["server"], other_id, other_key)
    assert len(theirs) == 1
    (row,) = theirs.values()
    assert row["$entry_utm_source"] == "x" and row["$pageview_count"] == 1
    ours = read_sessions(sent["server"])
    assert ours[row["session_id"]]["$entry_utm_source"] != "x"


def test_sessions_are_in_the_sql_schema(sent: dict[str, Any]) -> None:
    with sent["server"].api() as api:
        schema = api.get("/api/projects/1/sql/schema/").json()
    (table,) = [t for t in schema["tables"] if t["name"] == "sessions"]
    types = {c["name"]: c["type"] for c in table["columns"]}
    assert types["$session_duration"].startswith("Int") and "$channel_type" in types
    assert "Bool" in types["$is_bounce"]


@pytest.mark.embedded_only("removes the sessions table from events.chdb, the embedded store")
def test_a_store_from_before_sessions_gets_them_at_start(sent: dict[str, Any]) -> None:
    """Stop the server, remove the sessions table and its mark as a store from before them
    has none (in a process of its own: chDB opens one store per process), and
    start again: the backfill from the stored events builds the same rows."""
    server: Server = sent["server"]
    before = read_sessions(server)
    server.stop()
    store = sent["data"] / "events.chdb"
    script = (
        "import chdb, sys\n"
        "conn = chdb.connect(sys.argv[1])\n"
        "conn.query('DROP TABLE hedgerow.sessions')\n"
        "conn.query(\"DELETE FROM hedgerow.migrations WHERE name = 'sessions'\")\n"
        "assert conn.query('EXISTS TABLE hedgerow.sessions', 'CSV').bytes().strip() == b'0'\n"
        "conn.close()\n"
    )
    subprocess.run([sys.executable, "-c", script, str(store)], check=True)
    server.start()
    assert read_sessions(server) == before


# Opens the store in the old shape with windows of 10 events, and dies (no cleanup, as a
# killed process) once the third window's rows are in and before its end is recorded.
_CRASHING_UPGRADE = """
import os, sys
from pathlib import Path
from hedgerow.store import sessions_backfill
from hedgerow.store.chdb import ChdbEventStore
sessions_backfill.WINDOW_EVENTS = 10
original, inserted = sessions_backfill.insert_window, []
def insert_then_die(execute, window):
    original(execute, window)
    inserted.append(window)
    if len(inserted) == 3:
        os._exit(17)
sessions_backfill.insert_window = insert_then_die
ChdbEventStore(Path(sys.argv[1]))
"""
# What the store holds after the crash: windows recorded, sessions, and the mark.
_HALF_WAY = """
import chdb, sys
conn = chdb.connect(sys.argv[1])
for sql in ("SELECT count() FROM hedgerow.sessions_backfill",
            "SELECT uniqExact(session_id) FROM hedgerow.sessions",
            "SELECT count() FROM hedgerow.migrations WHERE name = 'sessions'"):
    print(conn.query(sql, "CSV").bytes().decode().strip())
conn.close()
"""


def test_an_upgrade_killed_half_way_through_the_backfill_finishes_at_the_next_start(
    sent: dict[str, Any],
) -> None:
    """The store in the shape from before the sessions table; its upgrade dies in the middle
    of the backfill; the next start goes on from the last window recorded, and every session
    is there once, equal to the oracle's."""
    server: Server = sent["server"]
    server.stop()
    store = str(sent["data"] / "events.chdb")
    script = (
        "import chdb, sys\n"
        "conn = chdb.connect(sys.argv[1])\n"
        "for table in ('sessions', 'sessions_written'):\n"
        "    conn.query(f'DROP TABLE IF EXISTS hedgerow.{table}')\n"
        "conn.query(\"DELETE FROM hedgerow.migrations WHERE name = 'sessions'\")\n"
        "conn.close()\n"
    )
    subprocess.run([sys.executable, "-c", script, store], check=True)
    crashed = subprocess.run([sys.executable, "-c", _CRASHING_UPGRADE, store])
    assert crashed.returncode == 17
    found = subprocess.run(
        [sys.executable, "-c", _HALF_WAY, store], check=True, capture_output=True, text=True
    )
    windows, sessions, marked = (int(line) for line in found.stdout.split())
    expected = expected_sessions(sent["events"])
    assert windows == 2 and 0 < sessions < len(expected) and marked == 0
    logged = server.log_path.stat().st_size
    server.start()
    got = read_sessions(server)
    assert got == expected
    assert sql(server, "SELECT count() FROM sessions")["results"] == [[len(expected)]]
    assert b"resuming the sessions backfill from" in server.log_path.read_bytes()[logged:]
