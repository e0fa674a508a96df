"""Dashboards (`/api/projects/{id}/dashboards/`) against the real server: tiles of saved
insights and text cards on a 12-column grid, their places, colors and texts changed,
filters kept; nothing of one project seen, changed or tiled from another."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app_backends import BACKENDS, backend_env

from server import Server

TRENDS = {"kind": "TrendsQuery", "series": [{"kind": "EventsNode", "event": "$pageview"}]}


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """The app tables on SQLite, then on PostgreSQL."""
    data = tmp_path_factory.mktemp("dashboards") / "data"
    instance = Server(data, **backend_env(request)).start()
    yield instance
    instance.stop()


@pytest.fixture()
def api(server: Server) -> Iterator[httpx.Client]:
    with server.api() as client:
        yield client


def new_project(api: httpx.Client, name: str) -> int:
    """A new project without the dashboard and insights every new project starts with."""
    project: int = api.post("/api/projects/", json={"name": name}).json()["id"]
    for kind in ("dashboards", "insights"):
        base = f"/api/projects/{project}/{kind}/"
        for item in api.get(base).json()["results"]:
            assert api.delete(base + f"{item['id']}/").status_code == 204
    return project


def made(answer: httpx.Response, status: int = 201) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body: dict[str, Any] = answer.json()
    return body


def dashboard(api: httpx.Client, project: int, name: str = "Growth") -> dict[str, Any]:
    return made(api.post(f"/api/projects/{project}/dashboards/", json={"name": name}))


def insight(api: httpx.Client, project: int, name: str, **body: Any) -> dict[str, Any]:
    body = {"name": name, "query": TRENDS, **body}
    return made(api.post(f"/api/projects/{project}/insights/", json=body))


def places(board: dict[str, Any]) -> list[tuple[int, int, int, int]]:
    return [tuple(t["layouts"]["sm"][k] for k in "xywh") for t in board["tiles"]]  # type: ignore[misc]


def test_insights_become_tiles_below_one_another(api: httpx.Client) -> None:
    project = new_project(api, "Tiles")
    board = dashboard(api, project)
    assert board["tiles"] == []
    assert board["filters"] == {"date_from": None, "date_to": None, "properties": []}
    path = f"/api/projects/{project}/dashboards/{board['id']}/"
    first = insight(api, project, "Views", dashboards=[board["id"]])
    assert first["dashboards"] == [board["id"]]
    second = insight(api, project, "Signups")
    changed = made(
        api.patch(
            f"/api/projects/{project}/insights/{second['id']}/", json={"dashboards": [board["id"]]}
        ),
        200,
    )
    assert changed["dashboards"] == [board["id"]]
    read = made(api.get(path), 200)
    assert [t["insight"]["id"] for t in read["tiles"]] == [first["id"], second["id"]]
    assert all(t["text"] is None and t["color"] is None for t in read["tiles"])
    assert places(read) == [(0, 0, 6, 5), (0, 5, 6, 5)]
    assert read["tiles"][0]["insight"]["name"] == "Views"

    # Off the dashboard again: the tile goes, the insight stays.
    api.patch(f"/api/projects/{project}/insights/{first['id']}/", json={"dashboards": []})
    read = made(api.get(path), 200)
    assert [t["insight"]["id"] for t in read["tiles"]] == [second["id"]]
    assert (
        made(api.get(f"/api/projects/{project}/insights/{first['id']}/"), 200)["dashboards"] == []
    )

    # A deleted insight leaves the dashboard.
    assert api.delete(f"/api/projects/{project}/insights/{second['id']}/").status_code == 204
    assert made(api.get(path), 200)["tiles"] == []
    listed = made(api.get(f"/api/projects/{project}/dashboards/"), 200)["results"]
    assert listed[0]["tile_count"] == 0


def test_tiles_are_moved_colored_written_and_removed(api: httpx.Client) -> None:
    project = new_project(api, "Layout")
    board = dashboard(api, project)
    path = f"/api/projects/{project}/dashboards/{board['id']}/"
    insight(api, project, "Views", dashboards=[board["id"]])
    card = made(
        api.patch(path, json={"tiles": [{"text": {"body": "# Notes\n<b>not html</b>"}}]}), 200
    )
    tile_of_insight, text_tile = card["tiles"]
    assert (
        text_tile["text"] == {"body": "# Notes\n<b>not html</b>"} and text_tile["insight"] is None
    )
    assert places(card) == [(0, 0, 6, 5), (0, 5, 6, 5)]

    moved = {"sm": {"x": 6, "y": 0, "w": 6, "h": 8}}
    changes = [
        {"id": tile_of_insight["id"], "layouts": moved, "color": "blue"},
        {"id": text_tile["id"], "text": {"body": "Updated"}},
        {"text": {"body": "Second card"}, "layouts": {"sm": {"x": 0, "y": 20, "w": 12, "h": 2}}},
    ]
    after = made(api.patch(path, json={"tiles": changes}), 200)
    assert after == made(api.get(path), 200)
    assert places(after) == [(6, 0, 6, 8), (0, 5, 6, 5), (0, 20, 12, 2)]
    assert [t["color"] for t in after["tiles"]] == ["blue", None, None]
    assert [t["text"] and t["text"]["body"] for t in after["tiles"]] == [
        None,
        "Updated",
        "Second card",
    ]
    assert after["last_modified_at"] > board["last_modified_at"]

    uncolored = made(
        api.patch(path, json={"tiles": [{"id": tile_of_insight["id"], "color": None}]}), 200
    )
    assert uncolored["tiles"][0]["color"] is None
    removed = made(api.patch(path, json={"tiles": [{"id": text_tile["id"], "deleted": True}]}), 200)
    assert [t["id"] for t in removed["tiles"]] == [tile_of_insight["id"], after["tiles"][2]["id"]]


@pytest.mark.parametrize(
    ("tiles", "code"),
    [
        ([{"text": {"body": "x" * 4001}}], "invalid_dashboard"),
        ([{"layouts": {"sm": {"x": 0, "y": 0, "w": 6, "h": 5}}}], "invalid_dashboard"),
        ([{"id": 10**9, "color": "red"}], "unknown_tile"),
        ([{"id": "INSIGHT_TILE", "text": {"body": "no"}}], "invalid_dashboard"),
        (
            [{"id": "INSIGHT_TILE", "layouts": {"sm": {"x": 8, "y": 0, "w": 6, "h": 5}}}],
            "invalid_dashboard",
        ),
        (
            [{"id": "INSIGHT_TILE", "layouts": {"sm": {"x": 0, "y": 0, "w": 0, "h": 5}}}],
            "invalid_dashboard",
        ),
    ],
)
def test_bad_tile_changes_change_nothing(
    api: httpx.Client, tiles: list[dict[str, Any]], code: str
) -> None:
    project = new_project(api, "Refusals")
    board = dashboard(api, project)
    path = f"/api/projects/{project}/dashboards/{board['id']}/"
    insight(api, project, "Views", dashboards=[board["id"]])
    before = made(api.get(path), 200)
    for tile in tiles:
        if tile.get("id") == "INSIGHT_TILE":
            tile["id"] = before["tiles"][0]["id"]
    answer = api.patch(path, json={"name": "Renamed", "tiles": tiles})
    assert answer.status_code == 400, answer.text
    assert answer.json()["code"] == code
    assert made(api.get(path), 200) == before


def test_filters_name_and_list(api: httpx.Client) -> None:
    project = new_project(api, "Listing")
    growth, revenue = dashboard(api, project, "Growth"), dashboard(api, project, "Revenue")
    insight(api, project, "Views", dashboards=[revenue["id"]])
    filters = {
        "date_from": "-7d",
        "date_to": None,
        "properties": [
            {"key": "$browser", "value": "Chrome", "operator": "exact", "type": "event"}
        ],
    }
    path = f"/api/projects/{project}/dashboards/{growth['id']}/"
    changed = made(
        api.patch(path, json={"filters": filters, "pinned": True, "description": "Top"}), 200
    )
    assert changed["filters"] == filters and changed["pinned"] is True
    assert made(api.get(path), 200)["filters"] == filters
    bad = api.patch(path, json={"filters": {"properties": [{"key": "a", "operator": "nearly"}]}})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_filter"

    listed = made(api.get(f"/api/projects/{project}/dashboards/"), 200)
    assert [(d["name"], d["pinned"], d["tile_count"]) for d in listed["results"]] == [
        ("Growth", True, 0),
        ("Revenue", False, 1),
    ]
    assert listed["results"][0]["description"] == "Top"
    found = made(api.get(f"/api/projects/{project}/dashboards/", params={"search": "REV"}), 200)
    assert [d["id"] for d in found["results"]] == [revenue["id"]] and found["count"] == 1


def test_deleting_a_dashboard_keeps_its_insights(api: httpx.Client) -> None:
    project = new_project(api, "Deleting")
    board = dashboard(api, project)
    kept = insight(api, project, "Views", dashboards=[board["id"]])
    path = f"/api/projects/{project}/dashboards/{board['id']}/"
    assert api.delete(path).status_code == 204
    assert api.get(path).status_code == 404
    assert made(api.get(f"/api/projects/{project}/insights/{kept['id']}/"), 200)["dashboards"] == []


def test_another_project_sees_and_changes_nothing(api: httpx.Client) -> None:
    mine, theirs = new_project(api, "Mine"), new_project(api, "Theirs")
    board = dashboard(api, mine)
    on_board = insight(api, mine, "Mine", dashboards=[board["id"]])
    tile_id = made(api.get(f"/api/projects/{mine}/dashboards/{board['id']}/"), 200)["tiles"][0][
        "id"
    ]
    before = made(api.get(f"/api/projects/{mine}/dashboards/{board['id']}/"), 200)

    other_path = f"/api/projects/{theirs}/dashboards/{board['id']}/"
    assert api.get(other_path).status_code == 404
    assert api.patch(other_path, json={"name": "taken"}).status_code == 404
    assert api.delete(other_path).status_code == 404
    assert all(
        d["id"] != board["id"]
        for d in api.get(f"/api/projects/{theirs}/dashboards/").json()["results"]
    )

    # Their insight cannot go on my dashboard; my insight cannot be changed from their URL.
    stranger = insight(api, theirs, "Theirs")
    put = api.patch(
        f"/api/projects/{theirs}/insights/{stranger['id']}/", json={"dashboards": [board["id"]]}
    )
    assert put.status_code == 400 and put.json()["code"] == "unknown_dashboard"
    created = api.post(
        f"/api/projects/{theirs}/insights/",
        json={"name": "x", "query": TRENDS, "dashboards": [board["id"]]},
    )
    assert created.status_code == 400 and created.json()["code"] == "unknown_dashboard"
    moved = api.patch(f"/api/projects/{theirs}/insights/{on_board['id']}/", json={"dashboards": []})
    assert moved.status_code == 404

    # My tile cannot be changed through their dashboard.
    their_board = dashboard(api, theirs)
    stolen = api.patch(
        f"/api/projects/{theirs}/dashboards/{their_board['id']}/",
        json={"tiles": [{"id": tile_id, "deleted": True}]},
    )
    assert stolen.status_code == 400 and stolen.json()["code"] == "unknown_tile"
    assert made(api.get(f"/api/projects/{mine}/dashboards/{board['id']}/"), 200) == before
