"""Saved insights (`/api/projects/{id}/insights/`) against the real server: save, find by
search and short id, change, delete; who saved it; a query that cannot run is refused;
nothing of one project is seen or changed from another."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from app_backends import BACKENDS, backend_env

from server import Server

EMAIL = "analyst@example.com"
PASSWORD = "correct horse battery"
TRENDS = {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "$pageview"}]}
FUNNEL = {
    "kind": "FunnelsQuery",
    "series": [
        {"kind": "EventsNode", "event": "$pageview"},
        {"kind": "EventsNode", "event": "signed up"},
    ],
}


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The app tables on SQLite, then on PostgreSQL."""
    data = tmp_path_factory.mktemp("insights") / "data"
    env = backend_env(request)
    instance = Server(
        data, HEDGEROW_ADMIN_EMAIL=EMAIL, HEDGEROW_ADMIN_PASSWORD=PASSWORD, **env
    ).start()
    yield instance
    instance.stop()


@contextmanager
def signed_in(server: Server) -> Iterator[httpx.Client]:
    """A client holding the session cookies, sending the CSRF token as the web app does."""
    with httpx.Client(base_url=server.url, timeout=30) as client:
        answer = client.post("/api/login/", json={"email": EMAIL, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRFToken"] = client.cookies["hedgerow_csrftoken"]
        yield client


def save(client: httpx.Client, project: int = 1, **body: Any) -> dict[str, Any]:
    answer = client.post(f"/api/projects/{project}/insights/", json={"query": TRENDS, **body})
    assert answer.status_code == 201, answer.text
    saved: dict[str, Any] = answer.json()
    return saved


def test_save_read_change_and_delete(server: Server) -> None:
    with signed_in(server) as client:
        saved = save(client, name="Weekly signups", description="From the landing page")
        assert re.fullmatch(r"[A-Za-z0-9]{8}", saved["short_id"])
        assert saved["query"] == TRENDS  # as sent
        assert saved["created_by"]["email"] == EMAIL
        assert saved["last_modified_by"] == saved["created_by"]
        assert saved["dashboards"] == [] and saved["favorited"] is False
        path = f"/api/projects/1/insights/{saved['id']}/"
        assert client.get(path).json() == saved

        changed = client.patch(path, json={"name": "Signups", "favorited": True, "query": FUNNEL})
        assert changed.status_code == 200, changed.text
        read = client.get(path).json()
        assert read == changed.json()
        assert (read["name"], read["favorited"], read["query"]) == ("Signups", True, FUNNEL)
        assert read["description"] == "From the landing page"  # not sent: unchanged
        assert read["last_modified_at"] > saved["last_modified_at"]
        assert read["created_at"] == saved["created_at"]

        assert client.delete(path).status_code == 204
        gone = client.get(path)
        assert gone.status_code == 404 and gone.json()["code"] == "not_found"
        assert client.delete(path).status_code == 404


def test_a_personal_api_key_saves_without_an_author(server: Server) -> None:
    with server.api() as api:
        saved = save(api, name="By a script")
    assert saved["created_by"] is None and saved["last_modified_by"] is None


def empty_project(api: httpx.Client, name: str) -> int:
    """A new project without the insights every new project starts with."""
    project: int = api.post("/api/projects/", json={"name": name}).json()["id"]
    base = f"/api/projects/{project}/insights/"
    for insight in api.get(base).json()["results"]:
        assert api.delete(base + f"{insight['id']}/").status_code == 204
    return project


def test_list_search_short_id_and_pages(server: Server) -> None:
    with server.api() as api:
        project = empty_project(api, "Listing")
        base = f"/api/projects/{project}/insights/"
        made = [
            save(api, project, name="Revenue by plan"),
            save(api, project, name="Page views", description="all REVENUE pages"),
            save(api, project, name="Retention"),
        ]
        api.patch(base + f"{made[0]['id']}/", json={"description": "touched"})
        listed = api.get(base).json()
        # Newest change first: the patched one leads.
        assert [i["id"] for i in listed["results"]] == [made[0]["id"], made[2]["id"], made[1]["id"]]
        assert listed["count"] == 3 and listed["next"] is None

        found = api.get(base, params={"search": "revenue"}).json()
        assert {i["name"] for i in found["results"]} == {"Revenue by plan", "Page views"}

        one = api.get(base, params={"short_id": made[2]["short_id"]}).json()
        assert [i["id"] for i in one["results"]] == [made[2]["id"]]
        assert api.get(base, params={"short_id": "nope1234"}).json()["results"] == []

        first = api.get(base, params={"limit": 2}).json()
        assert len(first["results"]) == 2 and first["previous"] is None
        second = api.get(first["next"]).json()
        assert [i["id"] for i in second["results"]] == [made[1]["id"]]
        assert second["next"] is None and second["previous"] is not None


@pytest.mark.parametrize(
    ("query", "code", "words"),
    [
        ({"kind": "EventsQuery", "select": ["*"]}, "invalid_query", "Unknown query kind"),
        ({"kind": "ActorsQuery"}, "invalid_query", "Unknown query kind"),
        ({"series": []}, "invalid_query", "needs a `kind`"),
        (
            {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "math": "nope"}]},
            "invalid_query",
            "query.series[0].math",
        ),
        ({**TRENDS, "properties": "x"}, "invalid_filter", "properties"),
        ("SELECT 1", "invalid_query", "`query` must be an object"),
    ],
)
def test_a_query_that_cannot_run_is_refused(
    server: Server, query: Any, code: str, words: str
) -> None:
    with server.api() as api:
        answer = api.post("/api/projects/1/insights/", json={"name": "x", "query": query})
        assert answer.status_code == 400, answer.text
        assert answer.json()["code"] == code
        assert words in answer.json()["error"]
        saved = save(api, name="kept")
        patched = api.patch(f"/api/projects/1/insights/{saved['id']}/", json={"query": query})
        assert patched.status_code == 400 and patched.json()["code"] == code
        assert api.get(f"/api/projects/1/insights/{saved['id']}/").json()["query"] == TRENDS


def test_a_sql_insight_can_be_saved(server: Server) -> None:
    with server.api() as api:
        sql = {"kind": "HogQLQuery", "query": "SELECT count() FROM events"}
        assert save(api, name="SQL", query=sql)["query"] == sql


def test_other_fields_are_checked(server: Server) -> None:
    with server.api() as api:
        for body in (
            {"query": TRENDS},
            {"name": 5, "query": TRENDS},
            {"name": "x" * 401, "query": TRENDS},
        ):
            answer = api.post("/api/projects/1/insights/", json=body)
            assert answer.status_code == 400 and answer.json()["code"] == "invalid_insight", body
        unknown = api.post(
            "/api/projects/1/insights/", json={"name": "x", "query": TRENDS, "dashboards": [99999]}
        )
        assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_dashboard"


def test_nothing_is_seen_or_changed_from_another_project(server: Server) -> None:
    with server.api() as api:
        mine = save(api, name="Project one's")
        other = empty_project(api, "Elsewhere")
        theirs = f"/api/projects/{other}/insights/"
        assert api.get(theirs + f"{mine['id']}/").status_code == 404
        assert api.patch(theirs + f"{mine['id']}/", json={"name": "taken"}).status_code == 404
        assert api.delete(theirs + f"{mine['id']}/").status_code == 404
        assert api.get(theirs).json()["results"] == []
        assert api.get(theirs, params={"short_id": mine["short_id"]}).json()["results"] == []
        assert api.get(f"/api/projects/1/insights/{mine['id']}/").json() == mine
    _, _, other_key = server.create_project("Walled off")
    with server.api(other_key) as walled:
        assert walled.get("/api/projects/1/insights/").status_code == 403
