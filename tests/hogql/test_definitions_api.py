"""Event and property definitions read back over HTTP: types inferred from the values sent,
volumes, first and last seen, search and pages, and new events counted soon after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from server import TOKEN, Server


def _send(server: Server, events: list[dict[str, Any]], token: str = TOKEN) -> None:
    response = httpx.post(server.url + "/batch/", json={"api_key": token, "batch": events})
    assert response.status_code == 200


def _get(server: Server, path: str, key: str | None = None, **params: Any) -> dict[str, Any]:
    with server.api(key) if key else server.api() as api:
        response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _by_name(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in results}


def test_definitions(fresh_server: Server) -> None:
    server = fresh_server
    start = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    events = []
    for i in range(6):
        events.append(
            {
                "event": "Plan purchased",
                "distinct_id": f"user-{i % 2}",
                "timestamp": (start + timedelta(days=i)).isoformat(),
                "properties": {
                    "price": 10 + i,
                    "planId": "pro" if i % 2 else "basic",
                    "trial": i % 3 == 0,
                    "renews_on": f"2026-04-0{i + 1}",
                    "flag_text": "true",
                    "created_time": 1767225600,
                    "mixed": "n/a" if i == 0 else i,
                    "nothing": None,
                    "$set": {"email": f"user{i % 2}@x.io", "age": 30 + i % 2},
                },
            }
        )
    events.append(
        {
            "event": "$pageview",
            "distinct_id": "user-0",
            "timestamp": (start - timedelta(days=1)).isoformat(),
            "properties": {"$current_url": "https://x.io/"},
        }
    )
    _send(server, events)
    server.wait_ingested(7)

    listed = _get(server, "/api/projects/1/event_definitions/")
    assert listed["count"] == 2 and listed["next"] is None
    purchased = _by_name(listed["results"])["Plan purchased"]
    assert purchased["volume"] == 6
    assert purchased["first_seen_at"] == "2026-03-01T12:00:00.000000Z"
    assert purchased["last_seen_at"] == "2026-03-06T12:00:00.000000Z"
    assert purchased["created_at"] == purchased["first_seen_at"]
    assert _by_name(listed["results"])["$pageview"]["volume"] == 1

    props = _by_name(_get(server, "/api/projects/1/property_definitions/")["results"])
    expected_types = {
        "price": "Numeric",
        "planId": "String",
        "trial": "Boolean",
        "renews_on": "DateTime",
        "flag_text": "Boolean",
        "created_time": "DateTime",
        "mixed": "Numeric",
        "nothing": None,
        "$current_url": "String",
    }
    for name, property_type in expected_types.items():
        assert props[name]["property_type"] == property_type, name
        assert props[name]["type"] == "event"
    assert props["price"]["is_numerical"] is True and props["planId"]["is_numerical"] is False
    assert props["price"]["volume"] == 6 and props["$current_url"]["volume"] == 1
    assert props["price"]["first_seen_at"] == "2026-03-01T12:00:00.000000Z"
    assert props["$current_url"]["last_seen_at"] == "2026-02-28T12:00:00.000000Z"
    assert "$set" not in props

    person = _by_name(
        _get(server, "/api/projects/1/property_definitions/", type="person")["results"]
    )
    assert person["email"]["property_type"] == "String" and person["email"]["volume"] == 2
    assert person["age"]["property_type"] == "Numeric" and person["age"]["type"] == "person"

    searched = _get(server, "/api/projects/1/property_definitions/", search="PLAN")
    assert [r["name"] for r in searched["results"]] == ["planId"]
    page = _get(server, "/api/projects/1/property_definitions/", limit=2, offset=2)
    assert len(page["results"]) == 2 and page["count"] == len(props)
    assert "offset=4" in page["next"] and "offset=0" in page["previous"]

    # Newly ingested events show up on the next request.
    _send(server, [{"event": "Signed up", "distinct_id": "user-9", "properties": {"plan": 1}}])
    server.wait_ingested(8)
    names = _by_name(_get(server, "/api/projects/1/event_definitions/")["results"])
    assert names["Signed up"]["volume"] == 1 and names["Plan purchased"]["volume"] == 6
    props = _by_name(_get(server, "/api/projects/1/property_definitions/")["results"])
    assert props["plan"]["volume"] == 1

    # Each project sees only its own definitions.
    other_id, other_token, other_key = server.create_project("Other")
    _send(server, [{"event": "Other event", "distinct_id": "o", "properties": {}}], other_token)
    server.wait_ingested(1, project=other_id, key=other_key)
    other = _get(server, f"/api/projects/{other_id}/event_definitions/", key=other_key)
    assert [r["name"] for r in other["results"]] == ["Other event"]
    assert "Other event" not in _by_name(
        _get(server, "/api/projects/1/event_definitions/")["results"]
    )


def test_bad_type_is_refused(server: Server) -> None:
    with server.api() as api:
        response = api.get("/api/projects/1/property_definitions/", params={"type": "group"})
    assert response.status_code == 400
    assert "`type` must be one of event, person" in response.json()["error"]


def test_definitions_need_a_key_for_the_project(server: Server) -> None:
    for path in ("/api/projects/1/event_definitions/", "/api/projects/1/property_definitions/"):
        assert httpx.get(server.url + path).status_code == 401
    _, _, other_key = server.create_project("Elsewhere")
    with server.api(other_key) as api:
        assert api.get("/api/projects/1/event_definitions/").status_code == 403
