"""Erasing one person among many, through the API, with merges, the event buffer, events
not yet ingested, a restart in the middle of the job and a new event afterwards: no query
finds a trace of them, and every other person's counts stay as they were."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from server import TOKEN, Server, poll

NOW = datetime.now(UTC).replace(microsecond=0)
ALICE_IDS = ["XYZ", "alice@example.com", "alice-laptop"]
# Each persona: (distinct id, device id) per event; bob and dora are the bystanders.
OTHERS = ["bob", "carol@example.com", "dora"]


def _at(minutes_ago: int) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def _event(name: str, distinct_id: str, minutes_ago: int, **properties: Any) -> dict[str, Any]:
    return {
        "event": name,
        "distinct_id": distinct_id,
        "uuid": str(uuid.uuid4()),
        "timestamp": _at(minutes_ago),
        "properties": properties,
    }


def _send(server: Server, events: list[dict[str, Any]]) -> None:
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": events})
    assert response.status_code == 200, response.text


def _hogql(server: Server, sql: str) -> list[list[Any]]:
    rows: list[list[Any]] = server.query({"kind": "HogQLQuery", "query": sql})["results"]
    return rows


def _counts_by_person(server: Server) -> dict[str, int]:
    rows = _hogql(server, "SELECT toString(person_id), count() FROM events GROUP BY person_id")
    return {str(p): int(n) for p, n in rows}


def _trends(server: Server) -> list[Any]:
    series = [
        {"kind": "EventsNode", "event": None, "math": "total"},
        {"kind": "EventsNode", "event": None, "math": "dau"},
    ]
    query = {"kind": "TrendsQuery", "series": series, "dateRange": {"date_from": "-7d"}}
    return [(r["count"], r["data"]) for r in server.query(query)["results"]]


def _funnel(server: Server) -> list[int]:
    query = {
        "kind": "FunnelsQuery",
        "series": [
            {"kind": "EventsNode", "event": "$pageview"},
            {"kind": "EventsNode", "event": "purchase"},
        ],
        "dateRange": {"date_from": "-7d"},
    }
    return [step["count"] for step in server.query(query)["results"]]


def _person_id(server: Server, distinct_id: str) -> str | None:
    with server.api() as client:
        found = client.get("/api/projects/1/persons/", params={"distinct_id": distinct_id})
    results = found.json()["results"]
    return str(results[0]["id"]) if results else None


def _job(server: Server, job_id: int) -> dict[str, Any]:
    with server.api() as client:
        response = client.get(f"/api/projects/1/erasures/{job_id}/")
    assert response.status_code == 200, response.text
    job: dict[str, Any] = response.json()
    return job


def _warnings_naming_alice(server: Server, uuids: list[str]) -> list[dict[str, Any]]:
    with server.api() as client:
        warnings = client.get("/api/projects/1/ingestion/warnings/").json()["results"]
    return [
        w
        for w in warnings
        if w["event_uuid"] in uuids or any(d in str(w["details"]) for d in ALICE_IDS)
    ]


def _dataset(server: Server) -> list[str]:
    """The bystanders and alice (anonymous browsing, a backend event buffered until her
    $identify, an alias, a warning naming her); returns the uuids of alice's events."""
    others = [
        _event("$pageview", "bob", 50, **{"$device_id": "bob", "$session_id": "s-bob"}),
        _event("purchase", "bob", 45, **{"$device_id": "bob"}),
        _event("$pageview", "anon-c", 40, **{"$device_id": "anon-c"}),
        _event("$identify", "carol@example.com", 39, **{"$anon_distinct_id": "anon-c"}),
        _event("purchase", "carol@example.com", 38),
        _event("$pageview", "dora", 30, **{"$device_id": "dora", "$set": {"email": "d@x"}}),
    ]
    alice = [
        _event("$pageview", "XYZ", 20, **{"$device_id": "XYZ", "$session_id": "s-alice"}),
        _event("$autocapture", "XYZ", 19, **{"$device_id": "XYZ", "$session_id": "s-alice"}),
        _event("User signed up", "alice@example.com", 18, **{"$set": {"email": "a@x"}}),
        _event("$identify", "alice@example.com", 17, **{"$anon_distinct_id": "XYZ"}),
        _event("$create_alias", "alice@example.com", 16, alias="alice-laptop"),
        _event("purchase", "alice-laptop", 15),
        _event("$identify", "alice@example.com", 14, **{"$anon_distinct_id": "anonymous"}),
    ]
    _send(server, others + alice)
    return [e["uuid"] for e in alice]


def test_erasure_leaves_no_trace_and_others_unchanged(tmp_path: Path) -> None:
    pause = tmp_path / "pause"
    server = Server(
        tmp_path / "data",
        HEDGEROW_SQUASH_INTERVAL="0",  # merged-away persons count through the override map
        HEDGEROW_BUFFER_DELAY="60",  # the backend's sign-up waits in the buffer
        HEDGEROW_INGESTION_PAUSE_FILE=str(pause),
    ).start()
    try:
        alice_uuids = _dataset(server)
        poll(lambda: server.status(), lambda s: s["received"] == 13 and s["queued"] == 0)
        assert server.status()["buffered"] >= 1  # alice's backend sign-up (and carol's)
        alice = _person_id(server, "XYZ")
        assert alice is not None and _person_id(server, "alice-laptop") == alice
        # Wait for carol's buffered purchase and the mirror: the baseline has every event
        # of the others stored.
        baseline_persons = {d: _person_id(server, d) for d in OTHERS}
        baseline_counts = _counts_by_person(server)
        assert baseline_counts.pop(alice) == 6  # her sign-up is still held by the buffer
        assert sum(baseline_counts.values()) == 6 and len(baseline_counts) == 3
        assert _funnel(server) == [4, 3]
        assert _warnings_naming_alice(server, alice_uuids)  # the illegal merge with "anonymous"
        sessions = "SELECT session_id FROM sessions ORDER BY session_id"
        assert _hogql(server, sessions) == [["s-alice"], ["s-bob"]]

        # Alice's erasure, while one more of her events waits in the intake log.
        pause.touch()
        poll(lambda: server.status(), lambda s: s["paused"])
        late = _event("$pageview", "alice-laptop", 1, **{"$device_id": "alice-laptop"})
        _send(server, [late])
        with server.api() as client:
            response = client.delete(
                f"/api/projects/1/persons/{alice}/", params={"delete_events": "true"}
            )
        assert response.status_code == 202, response.text
        job = response.json()
        assert job["delete_events"] is True and job["persons"] == 1
        job = poll(lambda: _job(server, job["id"]), lambda j: j["phase"] == "draining")
        assert job["distinct_ids"] == 3 and job["events_deleted"] >= 6

        # A restart in the middle: the job goes on, and still drops the late event.
        server.kill()
        server.start()
        pause.unlink()
        job = poll(lambda: _job(server, job["id"]), lambda j: j["status"] == "done")
        assert job["progress"] == 1.0 and job["error"] is None

        # The buffer lets the others' held events go (carol's purchase waited for no one).
        status = poll(lambda: server.status(), lambda s: s["buffered"] == 0, timeout=90)
        assert status["discarded"].get("person_erased", 0) >= 1

        # No trace of alice anywhere.
        for did in ALICE_IDS:
            assert _person_id(server, did) is None
        with server.api() as client:
            listed = client.get("/api/projects/1/persons/", params={"search": "alice"}).json()
            assert listed["results"] == []
            everyone = client.get("/api/projects/1/persons/").json()["results"]
            assert alice not in [p["id"] for p in everyone]
        assert _warnings_naming_alice(server, [*alice_uuids, late["uuid"]]) == []
        with server.api() as client:
            single = client.get(f"/api/projects/1/persons/{alice}/")
            assert single.status_code == 404
            for event_uuid in [*alice_uuids, late["uuid"]]:
                found = client.get(f"/api/projects/1/events/{event_uuid}/")
                assert found.status_code == 404, event_uuid
        events = server.events()
        assert not [e for e in events if e["distinct_id"] in ALICE_IDS or e["person_id"] == alice]
        quoted = ", ".join(f"'{d}'" for d in ALICE_IDS)
        assert _hogql(server, f"SELECT count() FROM events WHERE distinct_id IN ({quoted})") == [
            [0]
        ]
        assert _hogql(server, f"SELECT count() FROM events WHERE person_id = '{alice}'") == [[0]]
        assert _hogql(server, f"SELECT count() FROM persons WHERE id = '{alice}'") == [[0]]
        assert _hogql(
            server, f"SELECT count() FROM person_distinct_ids WHERE distinct_id IN ({quoted})"
        ) == [[0]]
        assert _hogql(server, "SELECT count() FROM persons WHERE properties.email = 'a@x'") == [[0]]
        assert _hogql(server, sessions) == [["s-bob"]]  # her session (entry URL...) went too

        # Everyone else is as they were.
        assert {d: _person_id(server, d) for d in OTHERS} == baseline_persons
        assert _counts_by_person(server) == baseline_counts
        (total, _), (users, _) = _trends(server)
        assert (total, users) == (6, 3)
        assert _funnel(server) == [3, 2]

        # A new event of an erased distinct id makes a new person, with only that event.
        fresh = _event("$pageview", "alice@example.com", 0, **{"$device_id": "alice@example.com"})
        _send(server, [fresh])
        poll(lambda: _person_id(server, "alice@example.com"), lambda p: p is not None)
        with server.api() as client:
            person = client.get(
                "/api/projects/1/persons/", params={"distinct_id": "alice@example.com"}
            ).json()["results"][0]
        assert person["distinct_ids"] == ["alice@example.com"] and person["properties"] == {}
        stored = poll(lambda: server.events(personId=person["id"]), lambda found: found != [])
        assert [e["uuid"] for e in stored] == [fresh["uuid"]]
    finally:
        server.stop()


def test_bulk_delete_by_property_and_refusals(tmp_path: Path) -> None:
    """Persons picked by a person property filter are erased (without their events here:
    those stay, under no person); refusals have their codes; another project's key sees
    and erases nothing of project 1."""
    server = Server(tmp_path / "data").start()
    try:
        _send(
            server,
            [
                _event("viewed", f"user-{n}", 10, **{"$set": {"plan": plan, "n": n}})
                for n, plan in enumerate(["trial", "pro", "trial", "free", "trial"])
            ],
        )
        poll(lambda: [_person_id(server, f"user-{n}") for n in range(5)], lambda p: None not in p)
        other_project, _, other_key = server.create_project("Other")
        victim = _person_id(server, "user-0")
        with server.api(other_key) as client:
            response = client.delete(f"/api/projects/1/persons/{victim}/")
            assert response.status_code == 403, response.text
            response = client.delete(f"/api/projects/{other_project}/persons/{victim}/")
            assert response.status_code == 404, response.text
            response = client.post(
                f"/api/projects/{other_project}/persons/bulk_delete/",
                json={"properties": [{"key": "plan", "value": "trial", "type": "person"}]},
            )
            assert response.status_code == 202 and response.json()["persons"] == 0
        with server.api() as client:
            base = "/api/projects/1"
            refusals = [
                (
                    client.delete(f"{base}/persons/{victim}/", params={"delete_events": "maybe"}),
                    400,
                    "invalid_delete",
                ),
                (client.post(f"{base}/persons/bulk_delete/", json={}), 400, "empty_selection"),
                (
                    client.post(
                        f"{base}/persons/bulk_delete/",
                        json={"properties": [{"key": "plan", "operator": "near"}]},
                    ),
                    400,
                    "invalid_bulk_delete",
                ),
                (
                    client.post(
                        f"{base}/persons/bulk_delete/",
                        json={"properties": [{"key": "plan", "operator": "regex", "value": "("}]},
                    ),
                    400,
                    "invalid_filter",
                ),
                (
                    client.delete(f"{base}/persons/00000000-0000-0000-0000-000000000000/"),
                    404,
                    "not_found",
                ),
                (client.get(f"{base}/erasures/99/"), 404, "not_found"),
                (client.get(f"{base}/erasures/{'9' * 40}/"), 404, "not_found"),
            ]
            for response, status, code in refusals:
                assert (response.status_code, response.json()["code"]) == (status, code), (
                    response.text
                )
            response = client.post(
                f"{base}/persons/bulk_delete/",
                json={
                    "properties": [
                        {"key": "plan", "value": "trial", "type": "person"},
                        {"key": "n", "value": 3, "operator": "lt", "type": "person"},
                    ]
                },
            )
            assert response.status_code == 202, response.text
            job = response.json()
            assert job["persons"] == 2 and job["delete_events"] is False
        job = poll(lambda: _job(server, job["id"]), lambda j: j["status"] == "done")
        assert job["distinct_ids"] == 2 and job["events_deleted"] == 0
        left = [n for n in range(5) if _person_id(server, f"user-{n}") is not None]
        assert left == [1, 3, 4]
        assert len(server.events()) == 5  # kept: no person owns user-0's and user-2's now
        with server.api() as client:
            listed = client.get("/api/projects/1/erasures/").json()["results"]
        assert [j["id"] for j in listed] == [job["id"]]
    finally:
        server.stop()


def test_bulk_delete_of_hundreds_with_their_events(tmp_path: Path) -> None:
    """230 persons selected by a filter are erased in several chunks with their events;
    the persons the filter leaves out keep theirs."""
    server = Server(tmp_path / "data").start()
    try:
        events = [
            _event("viewed", f"bulk-{n}", 5, **{"$set": {"cohort": "a" if n < 230 else "b"}})
            for n in range(240)
        ]
        _send(server, events)
        poll(lambda: len(server.events()), lambda n: n == 240)
        with server.api() as client:
            response = client.post(
                "/api/projects/1/persons/bulk_delete/",
                json={"properties": [{"key": "cohort", "value": "a"}], "delete_events": True},
            )
        assert response.status_code == 202, response.text
        job = poll(lambda: _job(server, response.json()["id"]), lambda j: j["status"] == "done")
        assert (job["persons"], job["distinct_ids"], job["events_deleted"]) == (230, 230, 230)
        assert sorted(e["distinct_id"] for e in server.events()) == [
            f"bulk-{n}" for n in sorted(range(230, 240), key=str)
        ]
        with server.api() as client:
            left = client.get("/api/projects/1/persons/", params={"limit": 1000}).json()
        assert len(left["results"]) == 10
    finally:
        server.stop()
