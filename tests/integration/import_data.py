"""A generated dataset for the import tests: anonymous visitors who sign up and buy, merged
through `$identify`, `$create_alias` and `$merge_dangerously` (some after a backend event
made a person of their own), with `$set` and
`$set_once`, in strictly increasing time (so the export's order is the capture order)."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from server import TOKEN, Server

START = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=9)
# The days the readings cover, fixed by the data (a relative range would move between the
# source's readings and the copy's once the run crosses midnight): the 14 days before the
# day the data was made, and that day.
DAYS = {
    "date_from": (START - timedelta(days=5)).date().isoformat(),
    "date_to": (START + timedelta(days=9)).date().isoformat(),
}


def generated_events(users: int = 30) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    moment = START

    def add(event: str, distinct_id: str, **properties: Any) -> None:
        nonlocal moment
        moment += timedelta(minutes=7)
        events.append(
            {
                "event": event,
                "distinct_id": distinct_id,
                "uuid": str(uuid.uuid4()),
                "timestamp": moment.isoformat(),
                "properties": properties,
            }
        )

    for i in range(users):
        anon, user = f"anon-{i}", f"user-{i}@example.com"
        add("$pageview", anon, **{"$device_id": anon, "$current_url": f"https://x/{i % 4}"})
        if i % 4 == 0:
            button = {"tag_name": "button", "$el_text": f"Buy {i}", "nth_child": 1}
            add("$autocapture", anon, **{"$device_id": anon, "$elements": [button]})
        if i % 5 == 4:
            continue  # stays anonymous
        if i % 4 == 1:  # a backend saw the user first: two persons, merged below
            add("trial started", user, source="backend")
        if i % 3 == 1:
            add("$create_alias", user, alias=anon)
        else:
            add("$identify", user, **{"$anon_distinct_id": anon, "$set": {"email": user}})
        note = {"text": 'a "quoted", comma\nnew line ü 😀', "nested": {"list": [1, "two", None]}}
        add("signed up", user, plan=["free", "pro"][i % 2], **note, **{"$set_once": {"first": i}})
        if i % 2 == 0:
            add("purchased", user, price=10 + i, **{"$set": {"plan": "pro", "rank": i}})
    add("$merge_dangerously", "user-0@example.com", alias="user-2@example.com")
    add("purchased", "user-2@example.com", price=99, **{"$set": {"plan": "team"}})
    return events


def send(server: Server, events: list[dict[str, Any]]) -> None:
    before = server.status()["received"]
    for start in range(0, len(events), 500):  # one batch after another: capture order
        batch = events[start : start + 500]
        response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
        assert response.status_code == 200, response.text
    server.wait_ingested(before + len(events))


def hedgerow(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hedgerow", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def import_files(data_dir: Path, *files: Path, extra: tuple[str, ...] = ()) -> str:
    """`hedgerow import` into project 1 of `data_dir`; answers its report (stderr)."""
    done = hedgerow(
        "import", *map(str, files), "--project", "1", "--data-dir", str(data_dir),
        "--no-progress", *extra,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stderr


def empty_installation(data_dir: Path) -> Server:
    """A new data directory with project 1 (a server started once and stopped)."""
    server = Server(data_dir).start()
    server.stop()
    return server


def readings(server: Server) -> dict[str, Any]:
    """What the round trip must keep: trends per day, a funnel, every person, the events."""
    trends = {
        "kind": "TrendsQuery",
        "series": [
            {"kind": "EventsNode", "event": name, "math": math}
            for name in ("$pageview", "signed up", "purchased")
            for math in ("total", "dau")
        ],
        "dateRange": DAYS,
    }
    funnel = {
        "kind": "FunnelsQuery",
        "series": [
            {"kind": "EventsNode", "event": name}
            for name in ("$pageview", "signed up", "purchased")
        ],
        "dateRange": DAYS,
    }
    with server.api() as client:
        answer = client.get("/api/projects/1/persons/", params={"limit": 1000})
    answer.raise_for_status()
    persons = sorted(
        (sorted(p["distinct_ids"]), p["properties"], p["created_at"])
        for p in answer.json()["results"]
    )
    sql = {
        "kind": "HogQLQuery",
        "query": "SELECT uuid, event, distinct_id, timestamp, properties, elements_chain, "
        "created_at, person.properties, person_id "
        "FROM events ORDER BY timestamp, uuid LIMIT 10000",
    }
    rows = server.query(sql)["results"]
    person_of = {}  # person ids differ between installations: compare who they are
    with server.api() as client:
        for row in rows:
            if row[-1] not in person_of:
                found = client.get(f"/api/projects/1/persons/{row[-1]}/")
                person_of[row[-1]] = (
                    sorted(found.json()["distinct_ids"]) if found.is_success else []
                )
    return {
        "trends": [(r["label"], r["data"], r["days"]) for r in server.query(trends)["results"]],
        "funnel": [(s["name"], s["count"]) for s in server.query(funnel)["results"]],
        "persons": persons,
        "events": [(*row[:-1], person_of[row[-1]]) for row in rows],
    }
