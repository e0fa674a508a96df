"""EventsQuery, persons, single events and ingestion status, read back over HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server import TOKEN, Server


@pytest.fixture(scope="module")
def dataset(server: Server) -> dict[str, Any]:
    """Six purchases by three users, at known times, with typed properties."""
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC).replace(microsecond=0)
    rows = [
        # (distinct_id, plan, price, browser, days ago, extra)
        ("alice", "pro", 1599, "Chrome", 1, {"coupon": "XMAS"}),
        ("alice", "basic", 99.5, "Chrome", 3, {}),
        ("bob", "pro", 1599, "Firefox", 10, {"coupon": None}),
        ("bob", "team", 4999, "Safari", 40, {}),
        ("carol", "basic", 0, "Chrome", 2, {"beta": True}),
        ("carol", "PRO", 1599, "Edge", 5, {}),
    ]
    events = []
    for distinct_id, plan, price, browser, days, extra in rows:
        events.append(
            {
                "event": f"purchase-{run}",
                "distinct_id": f"{distinct_id}-{run}",
                "uuid": str(uuid.uuid4()),
                "timestamp": (now - timedelta(days=days)).isoformat(),
                "properties": {"planId": plan, "price": price, "$browser": browser, **extra},
                "$set": {"name": distinct_id.title()},
            }
        )
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": events})
    assert response.status_code == 200
    before = server.status()["received"]
    server.wait_ingested(before)
    return {"run": run, "events": events, "name": f"purchase-{run}"}


def _select(server: Server, dataset: dict[str, Any], **query: Any) -> list[list[Any]]:
    body = {"kind": "EventsQuery", "event": dataset["name"], **query}
    return server.query(body)["results"]


def _users(server: Server, dataset: dict[str, Any], *filters: dict[str, Any]) -> list[str]:
    rows = _select(
        server,
        dataset,
        select=["distinct_id", "properties.planId"],
        properties=list(filters),
        orderBy=["timestamp ASC"],
    )
    return [f"{r[0].split('-')[0]}:{r[1]}" for r in rows]


def test_select_columns_and_properties(server: Server, dataset: dict[str, Any]) -> None:
    rows = _select(
        server,
        dataset,
        select=[
            "uuid",
            "event",
            "distinct_id",
            "properties.price",
            "properties.planId",
            "person.properties.name",
            "properties.missing",
            "timestamp",
        ],
        orderBy=["timestamp DESC"],
    )
    assert len(rows) == 6
    first = dataset["events"][0]
    assert rows[0][:7] == [
        first["uuid"],
        dataset["name"],
        first["distinct_id"],
        1599,
        "pro",
        "Alice",
        None,
    ]
    assert rows[0][7].endswith("Z")
    assert [r[3] for r in rows] == [1599, 0, 99.5, 1599, 1599, 4999]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"key": "planId", "value": "pro", "operator": "exact"}, ["bob:pro", "alice:pro"]),
        (
            {"key": "planId", "value": ["team", "basic"], "operator": "exact"},
            ["bob:team", "alice:basic", "carol:basic"],
        ),
        (
            {"key": "planId", "value": "pro", "operator": "is_not"},
            ["bob:team", "carol:PRO", "alice:basic", "carol:basic"],
        ),
        (
            {"key": "planId", "value": "pr", "operator": "icontains"},
            ["bob:pro", "carol:PRO", "alice:pro"],
        ),
        (
            {"key": "price", "value": 1000, "operator": "gt"},
            ["bob:team", "bob:pro", "carol:PRO", "alice:pro"],
        ),
        ({"key": "price", "value": "100", "operator": "lt"}, ["alice:basic", "carol:basic"]),
        (
            {"key": "price", "value": 1599, "operator": "exact"},
            ["bob:pro", "carol:PRO", "alice:pro"],
        ),
        ({"key": "coupon", "operator": "is_set"}, ["alice:pro"]),
        (
            {"key": "coupon", "operator": "is_not_set"},
            ["bob:team", "bob:pro", "carol:PRO", "alice:basic", "carol:basic"],
        ),
        ({"key": "beta", "value": True, "operator": "exact"}, ["carol:basic"]),
        (
            {"key": "$browser", "value": "Chrome", "operator": "exact"},
            ["alice:basic", "carol:basic", "alice:pro"],
        ),
        (
            {"key": "name", "value": "Bob", "operator": "exact", "type": "person"},
            ["bob:team", "bob:pro"],
        ),
        (
            {
                "type": "OR",
                "values": [
                    {"key": "planId", "value": "team"},
                    {"key": "beta", "operator": "is_set"},
                ],
            },
            ["bob:team", "carol:basic"],
        ),
    ],
)
def test_property_filters(
    server: Server, dataset: dict[str, Any], flt: dict[str, Any], expected: list[str]
) -> None:
    assert _users(server, dataset, flt) == expected


def test_relative_and_iso_time_ranges(server: Server, dataset: dict[str, Any]) -> None:
    recent = _select(
        server, dataset, select=["properties.planId"], after="-4d", orderBy=["timestamp ASC"]
    )
    assert [r[0] for r in recent] == ["basic", "basic", "pro"]
    since = (datetime.now(UTC) - timedelta(days=20)).date().isoformat()
    older = _select(server, dataset, select=["count()"], before=since)
    assert older == [[1]]
    window = _select(server, dataset, select=["count()"], after="-30d", before="-36h")
    assert window == [[4]]  # 2, 3, 5 and 10 days ago


def test_order_limit_offset_and_count(server: Server, dataset: dict[str, Any]) -> None:
    page1 = server.query(
        {
            "kind": "EventsQuery",
            "event": dataset["name"],
            "select": ["properties.price"],
            "orderBy": ["properties.price DESC"],
            "limit": 2,
        }
    )
    assert page1["results"] == [[4999], [1599]] and page1["hasMore"] is True
    page3 = _select(
        server,
        dataset,
        select=["properties.price"],
        orderBy=["properties.price DESC"],
        limit=2,
        offset=4,
    )
    assert page3 == [[99.5], [0]]
    counts = _select(
        server,
        dataset,
        select=["properties.planId", "count()"],
        orderBy=["count() DESC", "properties.planId ASC"],
    )
    assert counts == [["basic", 2], ["pro", 2], ["PRO", 1], ["team", 1]]


def test_bad_queries_answer_400(server: Server) -> None:
    bad = [
        {"kind": "Nope"},
        {"kind": "EventsQuery", "select": ["drop table events"]},
        {"kind": "EventsQuery", "after": "last tuesday"},
        {"kind": "EventsQuery", "limit": 0},
        {"kind": "EventsQuery", "properties": [{"key": "x", "operator": "near"}]},
        {"kind": "EventsQuery", "properties": [{"key": "x", "operator": "gt", "value": "abc"}]},
        {"kind": "EventsQuery", "orderBy": ["secret_column"]},
    ]
    with server.api() as client:
        for query in bad:
            response = client.post("/api/projects/1/query/", json={"query": query})
            assert response.status_code == 400, query
            assert response.json()["error"]
        garbage = client.post("/api/projects/1/query/", content=b"{nope")
        assert garbage.status_code == 400


def test_event_by_uuid_and_persons(server: Server, dataset: dict[str, Any]) -> None:
    first = dataset["events"][0]
    with server.api() as client:
        event = client.get(f"/api/projects/1/events/{first['uuid']}/").json()
        assert event["id"] == first["uuid"]
        assert event["properties"]["coupon"] == "XMAS"
        assert client.get(f"/api/projects/1/events/{uuid.uuid4()}/").status_code == 404
        people = client.get(
            "/api/projects/1/persons/", params={"distinct_id": first["distinct_id"]}
        ).json()["results"]
        assert len(people) == 1
        person = people[0]
        assert person["distinct_ids"] == [first["distinct_id"]]
        # $set from the events, plus the latest and initial browser lifted from them.
        assert person["properties"] == {
            "name": "Alice",
            "$browser": "Chrome",
            "$initial_browser": "Chrome",
        }
        assert person["is_identified"] is False
        assert person["id"] == event["person_id"]
        again = client.get(f"/api/projects/1/persons/{person['id']}/").json()
        assert again["distinct_ids"] == [first["distinct_id"]]
        none = client.get("/api/projects/1/persons/", params={"distinct_id": "nobody-ever"})
        assert none.json()["results"] == []


def test_duplicate_uuid_is_stored_once_and_counted(fresh_server: Server) -> None:
    event = {"event": "dup", "distinct_id": "d1", "uuid": str(uuid.uuid4()), "token": TOKEN}
    for _ in range(3):
        assert httpx.post(fresh_server.url + "/e/", json=event).status_code == 200
    invalid = {"event": "long", "distinct_id": "x" * 300, "token": TOKEN}
    assert httpx.post(fresh_server.url + "/e/", json=invalid).status_code == 200
    status = fresh_server.wait_ingested(4)
    assert status["received"] == 4
    assert status["processed"] == 2
    assert status["discarded"] == {"duplicate_event": 2}
    assert status["received"] == status["processed"] + sum(status["discarded"].values())
    stored = fresh_server.events()
    assert sorted(e["distinct_id"] for e in stored) == sorted(["d1", "x" * 200])
    with fresh_server.api() as client:
        warnings = client.get("/api/projects/1/ingestion/warnings/").json()["results"]
    assert [w["type"] for w in warnings] == ["duplicate_event", "duplicate_event"]
    assert {w["event_uuid"] for w in warnings} == {event["uuid"]}


def test_materializing_a_property_later_keeps_results(
    server: Server, dataset: dict[str, Any]
) -> None:
    flt = {"key": "coupon", "operator": "is_set"}
    contains = {"key": "coupon", "value": "xm", "operator": "icontains"}
    before = (_users(server, dataset, flt), _users(server, dataset, contains))
    with server.api() as client:
        added = client.post("/api/projects/1/materialized_columns/", json={"property": "coupon"})
        assert added.status_code == 201
        assert added.json() == {"property": "coupon", "column": "mat_coupon"}
        listed = client.get("/api/projects/1/materialized_columns/").json()["results"]
        assert {"property": "coupon", "column": "mat_coupon"} in listed
        assert {"property": "$browser", "column": "mat_$browser"} in listed
        bad = client.post("/api/projects/1/materialized_columns/", json={"property": ""})
        assert bad.status_code == 400
    # Events stored before the column existed are read through it, with the same answers.
    assert (_users(server, dataset, flt), _users(server, dataset, contains)) == before
    assert before == (["alice:pro"], ["alice:pro"])


def test_count_grouped_by_person(server: Server, dataset: dict[str, Any]) -> None:
    rows = _select(
        server, dataset, select=["person_id", "count()"], orderBy=["count() DESC", "person_id ASC"]
    )
    assert sorted(count for _, count in rows) == [2, 2, 2]
    assert len({person for person, _ in rows}) == 3
