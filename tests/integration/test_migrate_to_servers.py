"""`hedgerow migrate --to`, end to end: an embedded installation filled through capture
(anonymous visitors identified into persons made before, so merges leave overrides; an
action; an insight) is moved onto a real PostgreSQL and a ClickHouse server by a migration
killed half way (SIGKILL) and run again; `serve` on the servers, with an empty data
directory of its own, then gives the same answers through the public API as the embedded
installation gave, which is itself unchanged. A migration run again changes nothing, a
target that holds data is refused, and so is a data directory a server has open. The events
alone can move too, the persons staying in the data directory."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg

from clickhouse_server import ClickHouseServer

from server import TOKEN, Server

USERS = 40
DAYS = 10
CHECKPOINT = "migrate-to-servers.json"
# Squashing off: the merges' overrides stay in the override tables the migration copies.
NO_SQUASH = {"HEDGEROW_SQUASH_INTERVAL": "0"}
# The events' times count back from NOW, and the trends cover fixed days around them: the
# answers before and after a migration are compared, and a relative range (`-12d`) would
# move between the two once the run crosses midnight.
NOW = datetime.now(UTC).replace(microsecond=0)
SPAN = {
    "date_from": (NOW - timedelta(days=DAYS + 2)).date().isoformat(),
    "date_to": NOW.date().isoformat(),
}
TRENDS = {
    "kind": "TrendsQuery",
    "series": [
        {"kind": "EventsNode", "event": "$pageview"},
        {"kind": "EventsNode", "event": "bought", "math": "dau"},
    ],
    "interval": "day",
    "dateRange": SPAN,
}


def _at(days_ago: int, second: int) -> str:
    moment = NOW - timedelta(days=days_ago, hours=1)
    return (moment + timedelta(seconds=second)).isoformat()


def _event(name: str, distinct_id: str, when: str, **properties: Any) -> dict[str, Any]:
    return {
        "event": name,
        "distinct_id": distinct_id,
        "uuid": str(uuid.uuid4()),
        "timestamp": when,
        "properties": properties,
    }


def _send(server: Server, batch: list[dict[str, Any]]) -> None:
    answer = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
    assert answer.status_code == 200, answer.text


def _fill(server: Server) -> int:
    """Visitors browse as anonymous ids and as users (two persons each), then identify:
    each anonymous person is merged into the user's. Returns the events sent."""
    first, second = [], []
    for n in range(USERS):
        anon, user, day = f"anon-{n}", f"user-{n}@example.com", n % DAYS
        session = {"$session_id": f"session-{n}", "$current_url": f"https://shop.test/p/{n % 7}"}
        first += [_event("$pageview", anon, _at(day, s), **session) for s in range(3)]
        first.append(_event("$pageview", user, _at(day, 10), **session))
        second.append(
            _event("$identify", user, _at(day, 20), **{"$anon_distinct_id": anon}, **session)
        )
        second += [_event("bought", user, _at(day, 30 + s), amount=n + s) for s in range(2)]
    _send(server, first)
    server.wait_ingested(len(first))
    _send(server, second)
    server.wait_ingested(len(first) + len(second))
    return len(first) + len(second)


def _created(answer: httpx.Response) -> dict[str, Any]:
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _save_action_and_insight(server: Server) -> tuple[int, int]:
    with server.api() as api:
        action = _created(
            api.post(
                "/api/projects/1/actions/", json={"name": "Buys", "steps": [{"event": "bought"}]}
            )
        )
        insight = _created(
            api.post("/api/projects/1/insights/", json={"name": "Daily", "query": TRENDS})
        )
    return int(action["id"]), int(insight["id"])


def _answers(server: Server, action: int, insight: int) -> dict[str, Any]:
    """What the public API answers about the installation's data."""
    with server.api() as api:
        persons = api.get("/api/projects/1/persons/", params={"limit": 1000}).json()["results"]
        saved_action = api.get(f"/api/projects/1/actions/{action}/").json()
        saved_insight = api.get(f"/api/projects/1/insights/{insight}/").json()
    action_trend = {
        "kind": "TrendsQuery",
        "series": [{"kind": "ActionsNode", "id": action, "math": "dau"}],
        "dateRange": SPAN,
    }
    events = (
        "SELECT uuid, event, distinct_id, person_id, timestamp FROM events ORDER BY uuid LIMIT 1000"
    )
    sessions = (
        "SELECT session_id, $pageview_count, $entry_current_url, $start_timestamp "
        "FROM sessions ORDER BY session_id LIMIT 1000"
    )
    return {
        "trends": [(r["label"], r["data"]) for r in server.query(TRENDS)["results"]],
        "action trend": [r["data"] for r in server.query(action_trend)["results"]],
        "persons": sorted(
            (p["id"], sorted(p["distinct_ids"]), json.dumps(p["properties"], sort_keys=True))
            for p in persons
        ),
        "events page": sorted(
            json.dumps(e, sort_keys=True) for e in server.events(orderBy=["timestamp DESC"])
        ),
        "events with persons": server.query({"kind": "HogQLQuery", "query": events})["results"],
        "sessions": server.query({"kind": "HogQLQuery", "query": sessions})["results"],
        "action": {k: saved_action[k] for k in ("id", "name", "steps")},
        "insight": {k: saved_insight[k] for k in ("id", "short_id", "name", "query")},
    }


def _migrate_command(data: Path, postgres: str, clickhouse: str, *extra: str) -> list[str]:
    return [
        *(sys.executable, "-m", "hedgerow", "migrate", "--to", "--data-dir", str(data)),
        *("--persons-url", postgres, "--events-url", clickhouse, "--no-progress", *extra),
    ]


def _migrate(
    data: Path, postgres: str, clickhouse: str, *extra: str
) -> subprocess.CompletedProcess[str]:
    command = _migrate_command(data, postgres, clickhouse, *extra)
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def _checkpoint(data: Path) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads((data / CHECKPOINT).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return found


def _kill_half_way(data: Path, postgres: str, clickhouse: str) -> dict[str, Any]:
    """Start the migration in windows of 5 rows, SIGKILL it once some events' windows are
    copied; return the checkpoint it left."""
    command = _migrate_command(data, postgres, clickhouse, "--window-rows", "5")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while (found := _checkpoint(data)) is None or found["next_event_window"] < 3:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        assert time.monotonic() < deadline, f"no events copied: {found}"
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    left = _checkpoint(data)
    assert left is not None
    return left


def _stored(clickhouse: ClickHouseServer) -> str:
    return clickhouse.query("SELECT count(), uniqExact(uuid) FROM hedgerow.events FORMAT CSV")


def _persons_rows(postgres: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(postgres) as conn:
        return conn.execute(
            "SELECT (SELECT count(*) FROM persons), (SELECT count(*) FROM distinct_ids), "
            "(SELECT count(*) FROM person_overrides), (SELECT count(*) FROM projects)"
        ).fetchall()


def test_an_embedded_installation_moves_onto_the_servers(
    tmp_path: Path, postgres_url: str, clickhouse_url: str, clickhouse_server: ClickHouseServer
) -> None:
    data = tmp_path / "data"
    embedded = Server(data, **NO_SQUASH).start()
    try:
        sent = _fill(embedded)
        action, insight = _save_action_and_insight(embedded)
        before = _answers(embedded, action, insight)
        refused = _migrate(data, postgres_url, clickhouse_url)
        assert refused.returncode == 2 and "`hedgerow serve` (pid" in refused.stderr, refused
    finally:
        embedded.stop()
    assert len(before["persons"]) == USERS and len(before["events page"]) == sent

    left = _kill_half_way(data, postgres_url, clickhouse_url)
    assert left["app_tables_done"] and left["persons_done"] and not left["finished"]
    assert 3 <= left["next_event_window"] < len(left["event_windows"])

    resumed = _migrate(data, postgres_url, clickhouse_url)
    assert resumed.returncode == 0, resumed.stderr
    assert "DIFFERS" not in resumed.stdout
    assert re.search(rf"events of project 1 +{sent:,} +{sent:,} +ok", resumed.stdout), resumed
    assert _stored(clickhouse_server).strip() == f"{sent},{sent}"  # every event once
    stored_persons = _persons_rows(postgres_url)

    again = _migrate(data, postgres_url, clickhouse_url)  # nothing left: changes nothing
    assert again.returncode == 0, again.stderr
    assert _stored(clickhouse_server).strip() == f"{sent},{sent}"
    assert _persons_rows(postgres_url) == stored_persons

    (data / CHECKPOINT).rename(tmp_path / "kept.json")  # a new migration into the same servers
    occupied = _migrate(data, postgres_url, clickhouse_url)
    assert occupied.returncode == 2 and "already holds" in occupied.stderr, occupied
    (tmp_path / "kept.json").rename(data / CHECKPOINT)

    servers = {"HEDGEROW_PERSONS_URL": postgres_url, "HEDGEROW_EVENTS_URL": clickhouse_url}
    split = Server(tmp_path / "empty", **servers, **NO_SQUASH).start()
    try:
        after = _answers(split, action, insight)
        with split.api() as api:  # new rows get ids after the copied ones
            steps = {"name": "Views", "steps": [{"event": "$pageview"}]}
            added = _created(api.post("/api/projects/1/actions/", json=steps))
        assert added["id"] > action
    finally:
        split.stop()
    for what, answer in before.items():
        assert after[what] == answer, what

    embedded.start()  # the installation migrated is as it was
    try:
        assert _answers(embedded, action, insight) == before
    finally:
        embedded.stop()


def test_the_events_alone_move_and_the_persons_stay_in_the_data_directory(
    tmp_path: Path, clickhouse_url: str, clickhouse_server: ClickHouseServer
) -> None:
    data = tmp_path / "data"
    embedded = Server(data, **NO_SQUASH).start()
    try:
        sent = _fill(embedded)
        action, insight = _save_action_and_insight(embedded)
        before = _answers(embedded, action, insight)
    finally:
        embedded.stop()
    command = [sys.executable, "-m", "hedgerow", "migrate", "--to", "--data-dir", str(data)]
    command += ["--events-url", clickhouse_url, "--no-progress"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "persons:" not in done.stdout and "app tables:" not in done.stdout  # not moved
    assert _stored(clickhouse_server).strip() == f"{sent},{sent}"
    on_server = Server(data, HEDGEROW_EVENTS_URL=clickhouse_url, **NO_SQUASH).start()
    try:
        assert _answers(on_server, action, insight) == before
    finally:
        on_server.stop()
