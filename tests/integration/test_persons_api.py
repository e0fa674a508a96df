"""The persons list's search and last seen times, and EventsQuery's `personId`, read back
over HTTP; a merge in between, and a second project that sees none of the first's persons."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from server import TOKEN, Server

NOW = datetime.now(UTC).replace(microsecond=0)


def _at(minutes_ago: int) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def _stamp(minutes_ago: int) -> str:
    """How the API writes that time (as events' `timestamp`)."""
    return (NOW - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _send(server: Server, events: list[dict[str, Any]], token: str = TOKEN) -> None:
    response = httpx.post(server.url + "/batch/", json={"api_key": token, "batch": events})
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def persons_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """No squash: merged-away persons' events count through the override map."""
    data = tmp_path_factory.mktemp("persons") / "data"
    instance = Server(Path(data), HEDGEROW_SQUASH_INTERVAL="0").start()
    _send(
        instance,
        [
            {
                "event": "signed up",
                "distinct_id": "grace",
                "timestamp": _at(30),
                "properties": {"$set": {"email": "Grace@Example.com", "plan": "Pro_100%"}},
            },
            {"event": "viewed", "distinct_id": "grace", "timestamp": _at(5)},
            {
                "event": "viewed",
                "distinct_id": "linus",
                "timestamp": _at(20),
                "properties": {"$set": {"name": "Linus", "company": {"city": "Helsinki"}}},
            },
            {
                "event": "viewed",
                "distinct_id": "anon-7",
                "timestamp": _at(10),
                "properties": {"$set": {"email_opt_in": True}},
            },
        ],
    )
    instance.wait_ingested(4)
    yield instance
    instance.stop()


def _persons(server: Server, project: int = 1, key: str | None = None, **params: Any) -> Any:
    with server.api(*([key] if key else [])) as api:
        response = api.get(f"/api/projects/{project}/persons/", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _found(server: Server, search: str) -> list[list[str]]:
    return [p["distinct_ids"] for p in _persons(server, search=search)["results"]]


def _person(server: Server, distinct_id: str) -> dict[str, Any]:
    [person] = _persons(server, distinct_id=distinct_id)["results"]
    return dict(person)


def test_search_matches_ids_and_property_values_case_insensitively(
    persons_server: Server,
) -> None:
    grace = _person(persons_server, "grace")
    assert _found(persons_server, "grace@EXAMPLE") == [["grace"]]  # a property value
    assert _found(persons_server, "helsinki") == [["linus"]]  # a nested value
    assert _found(persons_server, "anon-") == [["anon-7"]]  # a distinct id
    assert _found(persons_server, grace["id"][:13]) == [["grace"]]  # the person id
    assert _found(persons_server, "true") == [["anon-7"]]  # a boolean, as the word
    # A key is not a value; LIKE's wildcards are plain characters.
    assert _found(persons_server, "company") == []
    assert _found(persons_server, "_100%") == [["grace"]]
    assert _found(persons_server, "%") == [["grace"]]
    assert _found(persons_server, "nobody at all") == []
    # Newest first (by first seen); an empty search lists everyone.
    assert _found(persons_server, "") == [["anon-7"], ["linus"], ["grace"]]


def test_pages_link_to_the_next_one(persons_server: Server) -> None:
    first = _persons(persons_server, limit=2)
    assert [p["distinct_ids"] for p in first["results"]] == [["anon-7"], ["linus"]]
    assert first["next"] is not None
    with persons_server.api() as api:
        second = api.get(first["next"]).json()
    assert [p["distinct_ids"] for p in second["results"]] == [["grace"]]
    assert second["next"] is None
    assert _persons(persons_server, limit=3)["next"] is None


def test_last_seen_is_the_latest_event_of_each_person(persons_server: Server) -> None:
    listed = {p["distinct_ids"][0]: p for p in _persons(persons_server)["results"]}
    expected = {"grace": _stamp(5), "linus": _stamp(20), "anon-7": _stamp(10)}
    for distinct_id, stamp in expected.items():
        assert listed[distinct_id]["last_seen_at"] == stamp
    one = _person(persons_server, "grace")
    with persons_server.api() as api:
        again = api.get(f"/api/projects/1/persons/{one['id']}/").json()
    assert again["last_seen_at"] == _stamp(5)


def _events_of(server: Server, person_id: str, **query: Any) -> list[str]:
    body = {"kind": "EventsQuery", "select": ["distinct_id", "event"], "personId": person_id}
    return [f"{d}:{e}" for d, e in server.query({**body, **query})["results"]]


def test_person_id_keeps_one_persons_events_also_after_a_merge(persons_server: Server) -> None:
    _send(
        persons_server,
        [
            {"event": "viewed", "distinct_id": "visitor-9", "timestamp": _at(3)},
            {"event": "bought", "distinct_id": "buyer-9", "timestamp": _at(2)},
        ],
    )
    persons_server.wait_ingested(6)
    visitor, buyer = _person(persons_server, "visitor-9"), _person(persons_server, "buyer-9")
    assert _events_of(persons_server, visitor["id"]) == ["visitor-9:viewed"]
    assert _events_of(persons_server, buyer["id"]) == ["buyer-9:bought"]

    # The visitor identifies as the buyer: its person is merged into the buyer's.
    identify = {
        "event": "$identify",
        "distinct_id": "buyer-9",
        "timestamp": _at(1),
        "properties": {"$anon_distinct_id": "visitor-9"},
    }
    _send(persons_server, [identify])
    persons_server.wait_ingested(7)
    assert persons_server.status()["person_overrides"] >= 1
    merged = _person(persons_server, "visitor-9")
    assert merged["id"] == buyer["id"]
    assert _events_of(persons_server, buyer["id"]) == [
        "buyer-9:$identify",
        "buyer-9:bought",
        "visitor-9:viewed",
    ]
    assert _events_of(persons_server, buyer["id"], event="viewed") == ["visitor-9:viewed"]
    assert _events_of(persons_server, visitor["id"]) == []
    assert merged["last_seen_at"] == _stamp(1)
    # Grace's events are not the buyer's.
    grace = _person(persons_server, "grace")
    assert _events_of(persons_server, grace["id"]) == ["grace:viewed", "grace:signed up"]


def test_bad_person_id_and_search_are_refused(persons_server: Server) -> None:
    with persons_server.api() as api:
        for person_id in ("not-a-uuid", 7):
            query = {"kind": "EventsQuery", "personId": person_id}
            response = api.post("/api/projects/1/query/", json={"query": query})
            assert response.status_code == 400
            assert response.json()["code"] == "invalid_query"
            assert "personId" in response.json()["error"]
        long = api.get("/api/projects/1/persons/", params={"search": "x" * 201})
        assert long.status_code == 400
        assert long.json()["code"] == "invalid_query"


def test_another_project_never_finds_the_first_ones_persons(persons_server: Server) -> None:
    project, token, key = persons_server.create_project("Other shop")
    _send(
        persons_server,
        [{"event": "viewed", "distinct_id": "grace", "properties": {"$set": {"email": "g@b"}}}],
        token=token,
    )
    persons_server.wait_ingested(1, project=project, key=key)
    grace_a = _person(persons_server, "grace")

    def found(search: str) -> list[str]:
        answer = _persons(persons_server, project, key, search=search)
        return [p["properties"].get("email") for p in answer["results"]]

    assert found("grace") == ["g@b"]  # its own grace only
    assert found("example.com") == []
    assert found("helsinki") == []
    assert found(grace_a["id"]) == []
    with persons_server.api(key) as api:
        own = api.get(f"/api/projects/{project}/persons/", params={"distinct_id": "grace"})
        grace_b = own.json()["results"][0]
        assert grace_b["id"] != grace_a["id"]
        assert api.get(f"/api/projects/{project}/persons/{grace_a['id']}/").status_code == 404
        query = {"kind": "EventsQuery", "select": ["event"], "personId": grace_a["id"]}
        answer = api.post(f"/api/projects/{project}/query/", json={"query": query}).json()
        assert answer["results"] == []
    # And project 1 still lists its own grace, last seen at her own latest event.
    assert _person(persons_server, "grace")["last_seen_at"] == _stamp(5)
