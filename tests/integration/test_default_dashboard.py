"""The "Product analytics" dashboard a new project starts with: made at first start, for
every project created after, and from the template; each tile's query runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server import TOKEN, Server

NAMES = [
    "Unique users",
    "Page views",
    "Top events",
    "Sign-up funnel",
    "Weekly retention",
    "Growth accounting",
]


@pytest.fixture(scope="module")
def sent_at() -> datetime:
    """The instant the events' timestamps count back from."""
    return datetime.now(UTC)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sent_at: datetime) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("default-dashboard") / "data").start()
    batch = [
        {
            "event": event,
            "distinct_id": person,
            "timestamp": (sent_at - timedelta(days=days)).isoformat(),
        }
        for person, days in (("ada", 1), ("ada", 9), ("bob", 2))
        for event in ("$pageview", "$pageview", "signed up")
    ]
    answer = httpx.post(instance.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
    assert answer.status_code == 200
    instance.wait_ingested(len(batch))
    yield instance
    instance.stop()


def boards(api: httpx.Client, project: int) -> list[dict[str, Any]]:
    listed = api.get(f"/api/projects/{project}/dashboards/").json()["results"]
    return [api.get(f"/api/projects/{project}/dashboards/{d['id']}/").json() for d in listed]


def check_product_analytics(board: dict[str, Any]) -> None:
    assert board["name"] == "Product analytics"
    assert [t["insight"]["name"] for t in board["tiles"]] == NAMES
    places = [tuple(t["layouts"]["sm"][k] for k in "xywh") for t in board["tiles"]]
    assert places == [
        (0, 0, 6, 5),
        (6, 0, 6, 5),
        (0, 5, 6, 5),
        (6, 5, 6, 5),
        (0, 10, 6, 5),
        (6, 10, 6, 5),
    ]


def test_the_first_project_starts_with_it_and_every_tile_runs(
    server: Server, sent_at: datetime
) -> None:
    with server.api() as api:
        (board,) = boards(api, 1)
        check_product_analytics(board)
        answers = {}
        for tile in board["tiles"]:
            query = tile["insight"]["query"]
            answer = api.post("/api/projects/1/query/", json={"query": query})
            assert answer.status_code == 200, (tile["insight"]["name"], answer.text)
            answers[tile["insight"]["name"]] = answer.json()
    top = {r["breakdown_value"]: r["aggregated_value"] for r in answers["Top events"]["results"]}
    assert top == {"$pageview": 6, "signed up": 3}
    assert sum(answers["Page views"]["results"][0]["data"]) == 6
    assert sum(answers["Unique users"]["results"][0]["data"]) == 3  # ada on two days, bob on one
    assert [step["count"] for step in answers["Sign-up funnel"]["results"]] == [2, 2]

    # The persons behind the "signed up" bar of Top events (broken down by event name): its
    # whole range, as the bar shows it; or one day of it.
    top_events = board["tiles"][2]["insight"]["query"]
    source = {"kind": "InsightActorsQuery", "source": top_events, "breakdown": "signed up"}
    actors = server.query({"kind": "ActorsQuery", "source": source})["results"]
    assert sorted(row[0]["distinct_ids"][0] for row in actors) == ["ada", "bob"]
    day = (sent_at - timedelta(days=2)).date().isoformat()  # bob's day, whenever this runs
    actors = server.query({"kind": "ActorsQuery", "source": {**source, "day": day}})["results"]
    assert [row[0]["distinct_ids"] for row in actors] == [["bob"]]


def test_every_new_project_starts_with_its_own(server: Server) -> None:
    with server.api() as api:
        project = api.post("/api/projects/", json={"name": "Second"}).json()["id"]
        (board,) = boards(api, project)
        check_product_analytics(board)
        (first,) = boards(api, 1)
        assert {t["insight"]["id"] for t in board["tiles"]}.isdisjoint(
            t["insight"]["id"] for t in first["tiles"]
        )
        assert api.get(f"/api/projects/{project}/insights/").json()["count"] == len(NAMES)
    project_id, _, key = server.create_project("From the command line")
    with server.api(key) as api:
        (board,) = boards(api, project_id)
        check_product_analytics(board)


def test_the_template_makes_another(server: Server) -> None:
    with server.api() as api:
        project = api.post("/api/projects/", json={"name": "Templates"}).json()["id"]
        answer = api.post(
            f"/api/projects/{project}/dashboards/",
            json={"name": "Product analytics", "template": "product-analytics"},
        )
        assert answer.status_code == 201, answer.text
        check_product_analytics(answer.json())
        assert len(boards(api, project)) == 2
        assert api.get(f"/api/projects/{project}/insights/").json()["count"] == 2 * len(NAMES)
        wrong = api.post(
            f"/api/projects/{project}/dashboards/", json={"name": "x", "template": "nope"}
        )
        assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_dashboard"


def test_a_restart_adds_nothing(tmp_path: Any) -> None:
    server = Server(tmp_path / "data").start()
    try:
        server.stop()
        server.start()
        with server.api() as api:
            assert len(boards(api, 1)) == 1
    finally:
        server.stop()
