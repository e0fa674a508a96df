"""POST /api/projects/{id}/actions/preview/: what an action being edited (saved or not)
matched in the last 30 days, counted exactly as the saved action counts, project by project."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from server import TOKEN, Server

BUTTON = 'button.buy:attr__class="buy"nth-child="1"nth-of-type="1"text="{text}"'
DRIFT = [{"event": "$autocapture", "text": "Purchase"}, {"event": "$autocapture", "text": "Add"}]


def _click(text: str, days_ago: float, distinct_id: str = "buyer") -> dict[str, Any]:
    when = datetime.now(UTC) - timedelta(days=days_ago)
    return {
        "event": "$autocapture",
        "distinct_id": distinct_id,
        "timestamp": when.isoformat(),
        "properties": {"$elements_chain": BUTTON.format(text=text), "$event_type": "click"},
    }


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    server = Server(tmp_path_factory.mktemp("preview") / "data").start()
    with server.api() as api:
        other = api.post("/api/projects/", json={"name": "Other shop"}).json()
    first = [
        *(_click("Purchase", days) for days in (20, 10, 9)),
        *(_click("Add", days) for days in (3, 0.01)),
        _click("Purchase", 45),  # older than the preview's 30 days
        _click("Cancel", 1),
        {"event": "$pageview", "distinct_id": "buyer", "properties": {"title": "Purchase"}},
    ]
    second = [_click("Purchase", 2, "elsewhere")]
    for token, batch in ((TOKEN, first), (other["api_token"], second)):
        answer = httpx.post(server.url + "/batch/", json={"api_key": token, "batch": batch})
        assert answer.status_code == 200
    server.wait_ingested(len(first))
    server.wait_ingested(len(second), project=other["id"])
    yield {"server": server, "other": other["id"]}
    server.stop()


def _preview(server: Server, body: dict[str, Any], project: int = 1) -> httpx.Response:
    with server.api() as api:
        return api.post(f"/api/projects/{project}/actions/preview/", json=body)


def test_unsaved_steps_count_what_the_saved_action_counts(shop: dict[str, Any]) -> None:
    server: Server = shop["server"]
    answer = _preview(server, {"name": "ignored", "steps": DRIFT})
    assert answer.status_code == 200, answer.text
    preview = answer.json()
    assert preview["count"] == 5  # 3 'Purchase' and 2 'Add' in the window; not the old one
    with server.api() as api:
        saved = api.post("/api/projects/1/actions/", json={"name": "Bought", "steps": DRIFT})
    counted = server.query(
        {
            "kind": "EventsQuery",
            "select": ["count()"],
            "actionId": saved.json()["id"],
            "after": "-30d",
        }
    )
    assert counted["results"][0][0] == preview["count"]
    texts = [e["properties"]["$elements_chain"].split('text="')[1][:-1] for e in preview["results"]]
    assert texts == ["Add", "Add", "Purchase", "Purchase", "Purchase"]  # newest first
    stamps = [e["timestamp"] for e in preview["results"]]
    assert stamps == sorted(stamps, reverse=True)
    assert all(e["id"] == e["uuid"] for e in preview["results"])


def test_sample_size_and_nothing_matched(shop: dict[str, Any]) -> None:
    server: Server = shop["server"]
    two = _preview(server, {"steps": DRIFT, "limit": 2}).json()
    assert two["count"] == 5 and len(two["results"]) == 2
    none = _preview(server, {"steps": [{"event": "$autocapture", "text": "Nope"}]}).json()
    assert none == {"count": 0, "results": []}
    assert _preview(server, {"steps": []}).json() == {"count": 0, "results": []}


def test_each_project_previews_only_its_own_events(shop: dict[str, Any]) -> None:
    server: Server = shop["server"]
    other = _preview(server, {"steps": DRIFT}, project=shop["other"]).json()
    assert other["count"] == 1
    assert [e["distinct_id"] for e in other["results"]] == ["elsewhere"]
    mine = _preview(server, {"steps": DRIFT}).json()
    assert "elsewhere" not in {e["distinct_id"] for e in mine["results"]}


@pytest.mark.parametrize(
    ("steps", "code", "where"),
    [
        ([{"event": "x"}, {"event": "$autocapture", "text": "(", "text_matching": "regex"}],
         "invalid_action", "`steps[1].text`"),
        ([{"selector": "div::before"}], "invalid_selector", "`steps[0].selector`"),
        ([{"url": "x", "url_matching": "fuzzy"}], "invalid_action", "`steps[0].url_matching`"),
    ],
)  # fmt: skip
def test_bad_steps_name_the_field(
    shop: dict[str, Any], steps: list[dict[str, Any]], code: str, where: str
) -> None:
    for path in ("actions/preview/", "actions/"):
        with shop["server"].api() as api:
            answer = api.post(f"/api/projects/1/{path}", json={"name": "x", "steps": steps})
        assert answer.status_code == 400
        assert answer.json()["code"] == code
        assert answer.json()["error"].startswith(where), answer.json()["error"]
