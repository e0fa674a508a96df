"""Actions: CRUD over HTTP, the guide's drift example, matching by URL, selector, tag, href
and properties, and actions used as a series, in EventsQuery and as a filter; with the app
tables (where actions are kept) on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from app_backends import BACKENDS, backend_env

from server import TOKEN, Server

PURCHASE = (
    'button.btn.primary:attr__class="btn primary"nth-child="2"nth-of-type="1"text="{text}";'
    'div.plans:attr__class="plans"nth-child="1"nth-of-type="1"'
)
CANCEL = 'button.btn:attr__class="btn"nth-child="3"nth-of-type="2"text="Cancel"'
LINK = 'a:attr__href="/pricing"href="/pricing"nth-child="1"nth-of-type="1"text="Pricing plans"'
NESTED = (
    'span:nth-child="1"nth-of-type="1"text="Go";button.cta:attr__class="cta"nth-child="1"'
    'nth-of-type="1";form:attr_id="checkout"nth-child="1"nth-of-type="1"'
)
DAY = 86400


def _events(start: datetime) -> list[dict[str, Any]]:
    """(days after start, event, chain or url, properties)."""
    rows: list[tuple[int, str, str, dict[str, Any]]] = [
        # The button said 'Purchase' ...
        (0, "$autocapture", PURCHASE.format(text="Purchase"), {}),
        (1, "$autocapture", PURCHASE.format(text="Purchase"), {}),
        (1, "$autocapture", PURCHASE.format(text="Purchase"), {}),
        # ... then it was renamed 'Add'.
        (4, "$autocapture", PURCHASE.format(text="Add"), {}),
        (5, "$autocapture", PURCHASE.format(text="Add"), {}),
        # The backend sends the custom event.
        (2, "Plan purchased", "", {"planId": "pro", "price": 1599}),
        (5, "Plan purchased", "", {"planId": "team", "price": 4999}),
        (6, "Plan purchased", "", {"planId": "pro", "price": 1599}),
        # Noise: other clicks, a pageview whose title says Purchase.
        (3, "$autocapture", CANCEL, {}),
        (3, "$autocapture", LINK, {"$current_url": "https://shop.example.com/pricing"}),
        (4, "$autocapture", NESTED, {"$current_url": "https://shop.example.com/checkout"}),
        (
            2,
            "$pageview",
            "",
            {"$current_url": "https://shop.example.com/pricing?ref=ad", "title": "Purchase"},
        ),
        (3, "$pageview", "", {"$current_url": "https://shop.example.com/checkout"}),
        (4, "$pageview", "", {"$current_url": "https://shop.example.com/docs/setup"}),
        (5, "$pageview", "", {"$current_url": "http://shop.example.com/Pricing"}),
    ]
    events = []
    for index, (days, name, chain, properties) in enumerate(rows):
        props = dict(properties)
        if chain:
            props["$elements_chain"] = chain
        events.append(
            {
                "event": name,
                "distinct_id": f"buyer-{index % 3}",
                "properties": props,
                "timestamp": (start + timedelta(days=days, minutes=index)).isoformat(),
            }
        )
    return events


@pytest.fixture(scope="module", params=BACKENDS)
def shop(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("actions") / "data", **backend_env(request)).start()
    start = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(
        days=8
    )
    events = _events(start)
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": events})
    assert response.status_code == 200
    server.wait_ingested(len(events))
    yield server
    server.stop()


def _create(server: Server, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    with server.api() as api:
        response = api.post("/api/projects/1/actions/", json=body)
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def _count(server: Server, action_id: int) -> int:
    rows = server.query({"kind": "EventsQuery", "select": ["count()"], "actionId": action_id})
    return int(rows["results"][0][0])


def test_drift_example(shop: Server) -> None:
    """One action for the button whose text changed, plus the custom event."""
    action = _create(
        shop,
        {
            "name": "Purchased a plan",
            "steps": [
                {"event": "$autocapture", "text": "Purchase"},
                {"event": "$autocapture", "text": "Add"},
                {"event": "Plan purchased"},
            ],
        },
    )
    answer = shop.query(
        {
            "kind": "TrendsQuery",
            "dateRange": {"date_from": "-9d"},
            "series": [{"kind": "ActionsNode", "id": action["id"]}],
        }
    )
    result = answer["results"][0]
    assert result["label"] == "Purchased a plan" and result["action"]["type"] == "actions"
    assert result["count"] == 8
    assert [d for d in result["data"] if d] == [1, 2, 1, 1, 2, 1]
    # The same action as a filter, with unique users, and in EventsQuery.
    assert _count(shop, action["id"]) == 8
    filtered = shop.query(
        {
            "kind": "EventsQuery",
            "select": ["event", "count()"],
            "properties": [{"type": "action", "value": action["id"]}],
            "orderBy": ["event ASC"],
        }
    )
    assert filtered["results"] == [["$autocapture", 5], ["Plan purchased", 3]]
    unique = shop.query(
        {
            "kind": "TrendsQuery",
            "dateRange": {"date_from": "-9d"},
            "interval": "month",
            "series": [{"kind": "ActionsNode", "id": action["id"], "math": "dau"}],
        }
    )
    assert max(unique["results"][0]["data"]) <= 3


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"event": "$pageview", "url": "/pricing"}, 1),  # contains, case-sensitive
        (
            {
                "event": "$pageview",
                "url": "https://shop.example.com/checkout",
                "url_matching": "exact",
            },
            1,
        ),
        (
            {
                "event": "$pageview",
                "url": r"^https?://shop\.example\.com/(docs|checkout)",
                "url_matching": "regex",
            },
            2,
        ),
        ({"url": "checkout"}, 2),  # any event
        ({"event": "$autocapture", "selector": "div.plans > button.primary"}, 5),
        ({"event": "$autocapture", "selector": "form#checkout button"}, 1),
        ({"event": "$autocapture", "selector": "button.btn"}, 6),
        ({"event": "$autocapture", "tag_name": "a"}, 1),
        ({"event": "$autocapture", "href": "/pricing"}, 1),
        ({"event": "$autocapture", "href": "pric", "href_matching": "contains"}, 1),
        ({"event": "$autocapture", "text": "pricing", "text_matching": "contains"}, 1),
        ({"event": "$autocapture", "text": "Purchase|Add", "text_matching": "regex"}, 5),
        ({"event": "Plan purchased", "properties": [{"key": "planId", "value": "pro"}]}, 2),
        (
            {
                "event": "Plan purchased",
                "properties": [{"key": "price", "value": 2000, "operator": "gt"}],
            },
            1,
        ),
        (
            {"event": "$pageview", "text": "Purchase"},
            4,
        ),  # element matching is for $autocapture only
    ],
)
def test_action_steps_match(shop: Server, step: dict[str, Any], expected: int) -> None:
    action = _create(shop, {"name": "step test", "steps": [step]})
    assert _count(shop, action["id"]) == expected


def test_crud(shop: Server) -> None:
    created = _create(
        shop, {"name": " Signed up ", "description": "first", "steps": [{"event": "signed_up"}]}
    )
    assert created["name"] == "Signed up" and created["deleted"] is False
    assert created["steps"][0]["event"] == "signed_up"
    with shop.api() as api:
        base = "/api/projects/1/actions/"
        assert api.get(f"{base}{created['id']}/").json() == created
        listed = api.get(base).json()
        assert created["id"] in [a["id"] for a in listed["results"]]
        assert listed["count"] == len(listed["results"])
        changed = api.patch(
            f"{base}{created['id']}/",
            json={"name": "Purchased", "steps": [{"event": "Plan purchased"}]},
        ).json()
        assert changed["name"] == "Purchased" and changed["description"] == "first"
        assert _count(shop, created["id"]) == 3
        assert api.delete(f"{base}{created['id']}/").status_code == 204
        assert api.get(f"{base}{created['id']}/").status_code == 404
        assert created["id"] not in [a["id"] for a in api.get(base).json()["results"]]
        gone = api.post(
            "/api/projects/1/query/",
            json={
                "query": {
                    "kind": "TrendsQuery",
                    "series": [{"kind": "ActionsNode", "id": created["id"]}],
                }
            },
        )
        assert gone.status_code == 400 and "no action" in gone.json()["error"]


def test_actions_belong_to_their_project(shop: Server) -> None:
    action = _create(shop, {"name": "mine", "steps": [{"event": "$pageview"}]})
    other, _, other_key = shop.create_project("Other", "Europe/Paris")
    with shop.api(other_key) as api:
        assert api.get("/api/projects/1/actions/").status_code == 403
        assert api.get(f"/api/projects/{other}/actions/").json()["results"] == []
        assert api.get(f"/api/projects/{other}/actions/{action['id']}/").status_code == 404
        refused = api.post(
            f"/api/projects/{other}/query/",
            json={"query": {"kind": "EventsQuery", "actionId": action["id"]}},
        )
    assert refused.status_code == 400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"steps": []}, "needs a `name`"),
        ({"name": "x", "steps": "click"}, "`steps` must be a list"),
        ({"name": "x", "steps": [{"event": "a", "colour": "red"}]}, "Unknown action step fields"),
        ({"name": "x", "steps": [{"url": "a", "url_matching": "fuzzy"}]}, "url_matching"),
        ({"name": "x", "steps": [{"event": "$autocapture", "selector": "a::before"}]}, "selector"),
        ({"name": "x", "steps": [{"url": "(?<=a)b", "url_matching": "regex"}]}, "not valid"),
        ({"name": "x", "steps": [{"event": 5}]}, "must be a string"),
    ],
)
def test_bad_actions_are_400(shop: Server, body: dict[str, Any], message: str) -> None:
    answer = _create(shop, body, status=400)
    assert message in answer["error"]
    with shop.api() as api:
        assert api.patch("/api/projects/1/actions/999999/", json={"name": "y"}).status_code == 404
        assert api.post("/api/projects/1/actions/", content=b"{nope").status_code == 400
