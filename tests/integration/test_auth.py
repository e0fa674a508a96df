"""Every /api route needs a key, and a key sees only its own projects."""

from __future__ import annotations

import uuid

import httpx
import pytest

from server import API_KEY, TOKEN, Server

ROUTES = [
    ("GET", "/api/projects/"),
    ("GET", "/api/projects/1/"),
    ("POST", "/api/projects/1/query/"),
    ("GET", "/api/projects/1/persons/"),
    ("GET", "/api/projects/1/persons/00000000-0000-0000-0000-000000000000/"),
    ("GET", "/api/projects/1/events/00000000-0000-0000-0000-000000000000/"),
    ("GET", "/api/projects/1/ingestion/"),
    ("GET", "/api/projects/1/ingestion/warnings/"),
    ("GET", "/api/projects/1/ingestion/warnings/summary/"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_missing_and_wrong_keys_are_refused(server: Server, method: str, path: str) -> None:
    body = {"query": {"kind": "EventsQuery"}}
    missing = httpx.request(method, server.url + path, json=body)
    assert missing.status_code == 401
    assert missing.json()["code"] == "not_authenticated"
    wrong = httpx.request(
        method, server.url + path, json=body, headers={"Authorization": "Bearer phx_wrong"}
    )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "authentication_failed"
    basic = httpx.request(
        method, server.url + path, json=body, headers={"Authorization": f"Basic {API_KEY}"}
    )
    assert basic.status_code == 401


def test_a_key_sees_only_its_projects(server: Server) -> None:
    other_id, other_token, other_key = server.create_project(f"Other {uuid.uuid4()}")
    marker = str(uuid.uuid4())
    for token, distinct_id in ((TOKEN, f"one-{marker}"), (other_token, f"two-{marker}")):
        response = httpx.post(
            server.url + "/e/",
            json={"event": "isolation", "distinct_id": distinct_id, "token": token},
        )
        assert response.status_code == 200
    server.wait_ingested(1, project=other_id, key=other_key)

    with server.api(other_key) as other:
        listed = other.get("/api/projects/").json()
        assert [p["id"] for p in listed["results"]] == [other_id]
        for method, path in ROUTES[1:]:
            refused = other.request(method, path, json={"query": {"kind": "EventsQuery"}})
            assert refused.status_code == 403, path
            assert refused.json()["code"] == "permission_denied"
        own = other.post(
            f"/api/projects/{other_id}/query/",
            json={
                "query": {"kind": "EventsQuery", "select": ["distinct_id"], "event": "isolation"}
            },
        ).json()
        assert own["results"] == [[f"two-{marker}"]]

    with server.api() as first:
        assert first.get(f"/api/projects/{other_id}/").status_code == 403
        mine = first.post(
            "/api/projects/1/query/",
            json={
                "query": {
                    "kind": "EventsQuery",
                    "select": ["distinct_id"],
                    "event": "isolation",
                    "properties": [{"key": "$ip", "operator": "is_set"}],
                }
            },
        ).json()
        assert [f"two-{marker}"] not in mine["results"]
        assert [f"one-{marker}"] in mine["results"]
        assert first.get("/api/projects/999/").status_code == 404
