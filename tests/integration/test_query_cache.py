"""The result cache of `POST query/` against the real server: an identical query is answered
from it with the same result; force_blocking recomputes; force_cache never computes; an
edited action, another project or a list of events never get a stale or foreign result."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from server import TOKEN, Server

TRENDS = {
    "kind": "TrendsQuery",
    "series": [{"kind": "EventsNode", "event": "$pageview"}],
    "dateRange": {"date_from": "-7d"},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("query-cache") / "data").start()
    yield instance
    instance.stop()


def send(server: Server, *events: str, token: str = TOKEN, project: int = 1) -> None:
    before = server.status(project)["received"]
    batch = [
        {"event": e, "distinct_id": "ada", "properties": {"$current_url": "/a"}} for e in events
    ]
    answer = httpx.post(server.url + "/batch/", json={"api_key": token, "batch": batch})
    assert answer.status_code == 200
    server.wait_ingested(before + len(events), project=project)


def ask(
    api: httpx.Client, query: dict[str, Any], refresh: str | None = None, project: int = 1
) -> httpx.Response:
    body: dict[str, Any] = {"query": query}
    if refresh is not None:
        body["refresh"] = refresh
    answer = api.post(f"/api/projects/{project}/query/", json=body)
    assert answer.status_code == 200, answer.text
    return answer


def total(answer: httpx.Response) -> int:
    return int(sum(answer.json()["results"][0]["data"]))


def test_identical_query_is_cached_and_force_blocking_recomputes(server: Server) -> None:
    send(server, "$pageview", "$pageview")
    with server.api() as api:
        first = ask(api, TRENDS)
        assert first.json()["is_cached"] is False and total(first) == 2
        send(server, "$pageview")  # newer data: the cached result does not see it
        second = ask(api, TRENDS)
        assert second.json()["is_cached"] is True
        assert second.json()["last_refresh"] == first.json()["last_refresh"]
        assert second.json()["cache_key"] == first.json()["cache_key"]
        result = first.content.split(b',"is_cached"')[0]
        assert second.content.split(b',"is_cached"')[0] == result  # byte for byte
        assert first.content.count(b'"is_cached"') == second.content.count(b'"is_cached"') == 1
        forced = ask(api, TRENDS, "force_blocking")
        assert forced.json()["is_cached"] is False and total(forced) == 3
        assert forced.json()["last_refresh"] > first.json()["last_refresh"]
        assert total(ask(api, TRENDS)) == 3  # the recomputed result is cached


def test_force_cache_on_a_miss_computes_nothing(server: Server) -> None:
    query = {**TRENDS, "interval": "hour"}
    with server.api() as api:
        missing = ask(api, query, "force_cache").json()
        assert missing["results"] is None and missing["cache_missing"] is True
        assert missing["is_cached"] is False
        assert ask(api, query).json()["is_cached"] is False  # it was not computed before
        assert ask(api, query, "force_cache").json()["is_cached"] is True
        bad = api.post("/api/projects/1/query/", json={"query": query, "refresh": "sometimes"})
        assert bad.status_code == 400 and bad.json()["code"] == "invalid_query"


def test_an_edited_action_is_not_answered_from_the_cache(server: Server) -> None:
    send(server, "clicked buy", "clicked buy", "opened cart")
    with server.api() as api:
        action = api.post(
            "/api/projects/1/actions/", json={"name": "Buy", "steps": [{"event": "clicked buy"}]}
        ).json()
        query = {**TRENDS, "series": [{"kind": "ActionsNode", "id": action["id"]}]}
        assert total(ask(api, query)) == 2
        assert ask(api, query).json()["is_cached"] is True
        steps = [{"event": "clicked buy"}, {"event": "opened cart"}]
        assert (
            api.patch(f"/api/projects/1/actions/{action['id']}/", json={"steps": steps}).status_code
            == 200
        )
        after = ask(api, query)
        assert after.json()["is_cached"] is False and total(after) == 3


def test_another_project_never_gets_this_projects_result(server: Server) -> None:
    with server.api() as api:
        ask(api, TRENDS)
        assert ask(api, TRENDS).json()["is_cached"] is True
        other = api.post("/api/projects/", json={"name": "Other"}).json()
        theirs = ask(api, TRENDS, project=other["id"])
        assert theirs.json()["is_cached"] is False and total(theirs) == 0
        assert ask(api, TRENDS, "force_cache", project=other["id"]).json()["is_cached"] is True
        empty_elsewhere = {**TRENDS, "interval": "week"}
        ask(api, empty_elsewhere)
        assert ask(api, empty_elsewhere, "force_cache", project=other["id"]).json()["cache_missing"]


def test_event_lists_and_persons_are_never_cached(server: Server) -> None:
    with server.api() as api:
        events = {"kind": "EventsQuery", "select": ["count()"]}
        for _ in range(2):
            answer = ask(api, events, "force_cache").json()
            assert "is_cached" not in answer and answer["results"][0][0] > 0
