"""The PostHog docs' scenario: an anonymous visitor signs up, the backend reports it, the
browser identifies. All four events end on one person, read back through the API."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from posthog import Posthog

from readback import unique
from server import PER_WORKER_COUNTS, TOKEN, Server


def _browser_event(server: Server, event: str, distinct_id: str, **properties: Any) -> str:
    uuid_ = str(__import__("uuid").uuid4())
    body = {
        "api_key": TOKEN,
        "batch": [
            {
                "event": event,
                "uuid": uuid_,
                "properties": {
                    "distinct_id": distinct_id,
                    "$device_id": "XYZ-device",
                    "$lib": "web",
                    **properties,
                },
            }
        ],
    }
    assert httpx.post(server.url + "/e/", json=body).status_code == 200
    return uuid_


def _backend_signup(server: Server, distinct_id: str) -> str:
    client = Posthog(TOKEN, host=server.url, sync_mode=True)
    uuid_ = client.capture(
        "User signed up", distinct_id=distinct_id, properties={"plan": "pro", "source": "backend"}
    )
    client.shutdown()
    assert isinstance(uuid_, str)
    return uuid_


def _persons_of(server: Server, uuids: list[str]) -> dict[str, str]:
    rows = server.query({"kind": "EventsQuery", "select": ["uuid", "person_id"], "limit": 1000})[
        "results"
    ]
    return {u: p for u, p in rows if u in uuids}


def _unique_persons(server: Server, anon: str, user: str) -> int:
    result = server.query(
        {
            "kind": "EventsQuery",
            "select": ["count(DISTINCT person_id)"],
            "properties": {"type": "OR", "values": []},
        }
    )
    assert result["results"]
    rows = server.query(
        {"kind": "EventsQuery", "select": ["distinct_id", "person_id"], "limit": 1000}
    )["results"]
    return len({p for d, p in rows if d in (anon, user)})


def _counted_persons(server: Server) -> tuple[int, list[int]]:
    """Unique users of all events (a TrendsQuery) and the persons at each step of the funnel
    pageview -> sign-up: these count persons by their index, through its override map."""
    trend = server.query(
        {
            "kind": "TrendsQuery",
            "series": [{"kind": "EventsNode", "event": None, "math": "dau"}],
            "trendsFilter": {"display": "BoldNumber"},
            "dateRange": {"date_from": "-1d"},
        }
    )["results"]
    funnel = server.query(
        {
            "kind": "FunnelsQuery",
            "series": [{"event": "$pageview"}, {"event": "User signed up"}],
            "dateRange": {"date_from": "-1d"},
        }
    )["results"]
    return int(trend[0]["aggregated_value"]), [step["count"] for step in funnel]


def _run_scenario(server: Server, anon: str, user: str) -> list[str]:
    uuids = [
        _browser_event(server, "$pageview", anon, **{"$device_id": anon}),
        _browser_event(
            server, "$autocapture", anon, **{"$device_id": anon, "$event_type": "click"}
        ),
        _backend_signup(server, user),
    ]
    server.wait_ingested(3)
    uuids.append(
        _browser_event(
            server,
            "$identify",
            user,
            **{"$anon_distinct_id": anon, "$device_id": anon, "$set": {"email": user}},
        )
    )
    server.wait_ingested(4)
    return uuids


def test_scenario_without_buffer_counts_one_person(tmp_path: Path) -> None:
    server = Server(
        tmp_path / "data", HEDGEROW_BUFFER_DELAY="0", HEDGEROW_SQUASH_INTERVAL="0"
    ).start()
    try:
        anon, user = unique("XYZ"), unique("alice") + "@example.com"
        uuids = _run_scenario(server, anon, user)
        persons = _persons_of(server, uuids)
        assert len(persons) == 4
        assert len(set(persons.values())) == 1
        unique_count = server.query(
            {"kind": "EventsQuery", "select": ["count(DISTINCT person_id)"]}
        )["results"]
        assert unique_count == [[1]]
        grouped = server.query(
            {
                "kind": "EventsQuery",
                "select": ["person_id", "count()"],
                "orderBy": ["person_id ASC"],
            }
        )["results"]
        assert grouped == [[next(iter(persons.values())), 4]]
        assert _counted_persons(server) == (1, [1, 1])
        # Without the buffer, the signup made a person for alice first; the browser's person
        # was merged into it, and its earlier events count through the override map.
        status = server.status()
        assert status["person_overrides"] == 1
        with server.api() as api:
            person = api.get("/api/projects/1/persons/", params={"distinct_id": anon}).json()
        [record] = person["results"]
        assert sorted(record["distinct_ids"]) == sorted([anon, user])
        assert record["is_identified"] is True
        assert record["properties"]["email"] == user
        assert record["id"] == next(iter(persons.values()))
    finally:
        server.stop()


def test_squash_rewrites_stored_events_and_empties_the_map(tmp_path: Path) -> None:
    server = Server(
        tmp_path / "data", HEDGEROW_BUFFER_DELAY="0", HEDGEROW_SQUASH_INTERVAL="0.5"
    ).start()
    try:
        anon, user = unique("XYZ"), unique("alice")
        uuids = _run_scenario(server, anon, user)
        deadline = time.monotonic() + 30
        while server.status()["person_overrides"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert server.status()["person_overrides"] == 0
        persons = _persons_of(server, uuids)
        assert len(persons) == 4 and len(set(persons.values())) == 1
        assert server.query({"kind": "EventsQuery", "select": ["count(DISTINCT person_id)"]})[
            "results"
        ] == [[1]]
        assert _counted_persons(server) == (1, [1, 1])
    finally:
        server.stop()


@pytest.mark.cluster_defect(PER_WORKER_COUNTS)
@pytest.mark.parametrize("event", ["$identify", "$create_alias", "$groupidentify"])
def test_personless_identity_events_are_discarded(fresh_server: Server, event: str) -> None:
    body = {
        "event": event,
        "distinct_id": "p1",
        "token": TOKEN,
        "properties": {
            "$process_person_profile": False,
            "$anon_distinct_id": "p0",
            "alias": "p0",
            "$group_type": "company",
            "$group_key": "acme",
        },
    }
    assert httpx.post(fresh_server.url + "/e/", json=body).status_code == 200
    status = fresh_server.wait_ingested(1)
    assert status["discarded"] == {"invalid_event_when_process_person_profile_is_false": 1}
    assert fresh_server.events() == []
    with fresh_server.api() as api:
        assert (
            api.get("/api/projects/1/persons/", params={"distinct_id": "p1"}).json()["results"]
            == []
        )


@pytest.mark.cluster_defect(PER_WORKER_COUNTS)
def test_refused_merge_leaves_a_warning_and_keeps_the_event(fresh_server: Server) -> None:
    body = {
        "event": "$identify",
        "distinct_id": "carol",
        "token": TOKEN,
        "properties": {"$anon_distinct_id": "null"},
    }
    assert httpx.post(fresh_server.url + "/e/", json=body).status_code == 200
    status = fresh_server.wait_ingested(1)
    assert status["processed"] == 1
    with fresh_server.api() as api:
        warnings = api.get("/api/projects/1/ingestion/warnings/").json()["results"]
        assert [w["type"] for w in warnings] == ["cannot_merge_with_illegal_distinct_id"]
        assert warnings[0]["details"] == {"distinct_id": "carol", "other_distinct_id": "null"}
        assert (
            api.get("/api/projects/1/persons/", params={"distinct_id": "null"}).json()["results"]
            == []
        )
