"""Saved insights and dashboards in Chromium, against the real server: the new project's
"Product analytics" dashboard opens with its tiles drawn; an insight saved through the API is
pinned to a dashboard in the UI, and after a resize and a reload the dashboard is the same;
the dashboard's date range re-runs every tile's query; a text card shows its text as text;
/insights searches on the server and deletes with a confirmation."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, Request, expect
from posthog import Posthog

from readback import wait_for_events
from server import TOKEN, Server

PROJECT = "/api/projects/1"
TILE = "article.tile"


@pytest.fixture(scope="module")
def pageviews(app_server: Server) -> int:
    """Page views and sign-ups of a few people over the last two weeks, sent through capture."""
    client = Posthog(TOKEN, host=app_server.url, sync_mode=True)
    now = datetime.now(UTC)
    sent = 0
    for person in range(4):
        for day in range(0, 14, person + 1):
            client.capture(
                "$pageview",
                distinct_id=f"visitor-{person}",
                timestamp=now - timedelta(days=day, hours=1),
                properties={"$current_url": "https://shop.example/", "$browser": "Firefox"},
            )
            sent += 1
        client.capture("signed up", distinct_id=f"visitor-{person}", timestamp=now)
    client.shutdown()
    wait_for_events(app_server, "$pageview", sent)
    return sent


def unique(name: str) -> str:
    return f"{name} {uuid.uuid4().hex[:6]}"


def save_insight(
    server: Server, name: str, description: str = "", math: str = "total"
) -> dict[str, Any]:
    query = {
        "kind": "TrendsQuery",
        "series": [{"kind": "EventsNode", "event": "$pageview", "math": math}],
        "interval": "day",
        "dateRange": {"date_from": "-14d"},
    }
    with server.api() as api:
        answer = api.post(
            f"{PROJECT}/insights/", json={"name": name, "description": description, "query": query}
        )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def make_dashboard(server: Server, name: str, insights: list[dict[str, Any]]) -> int:
    with server.api() as api:
        answer = api.post(f"{PROJECT}/dashboards/", json={"name": name})
        assert answer.status_code == 201, answer.text
        dashboard_id = int(answer.json()["id"])
        for insight in insights:
            api.patch(
                f"{PROJECT}/insights/{insight['id']}/", json={"dashboards": [dashboard_id]}
            ).raise_for_status()
    return dashboard_id


def tiles_drawn(page: Page, count: int) -> None:
    """`count` tiles, each with its chart (or table) and none loading or failed."""
    expect(page.locator(TILE)).to_have_count(count)
    expect(page.locator(f"{TILE} .tile-chart")).to_have_count(count, timeout=20_000)
    expect(page.locator(f"{TILE} .tile-state")).to_have_count(0)


def wait_until(page: Page, condition: Callable[[], bool], timeout: float = 15) -> None:
    """Poll `condition` (a count of requests seen) with a deadline, letting the page run."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(50)


def distinct(bodies: list[dict[str, Any]]) -> set[str]:
    """The different queries among the request bodies (a tile may ask twice: its cached
    result first, then a computed one)."""
    return {json.dumps(body["query"], sort_keys=True) for body in bodies}


def tile(page: Page, name: str) -> Locator:
    return page.get_by_role("article", name=name, exact=True)


@pytest.fixture()
def query_requests(app_page: Page) -> Iterator[list[dict[str, Any]]]:
    """The bodies of the page's POST /query/ requests, as they are sent."""
    sent: list[dict[str, Any]] = []

    def record(request: Request) -> None:
        if request.method == "POST" and request.url.endswith(f"{PROJECT}/query/"):
            sent.append(json.loads(request.post_data or "{}"))

    app_page.on("request", record)
    yield sent
    app_page.remove_listener("request", record)


def test_product_analytics_dashboard_opens_with_its_tiles_drawn(
    app_page: Page, pageviews: int, query_requests: list[dict[str, Any]]
) -> None:
    app_page.goto("/dashboards")
    app_page.get_by_role("link", name="Product analytics", exact=True).click()
    expect(app_page.get_by_role("heading", level=1)).to_have_text("Product analytics")
    tiles_drawn(app_page, 6)
    # Charts are drawn on canvases; the unique users tile counts the four visitors.
    assert app_page.locator(f"{TILE} canvas").count() >= 4
    # Top events: one bar per event name, drawn (its chart names the events it shows).
    top_events = app_page.locator(TILE).filter(has_text="Top events")
    chart = top_events.get_by_role("figure", name=re.compile(r"^Bar chart of totals of \d+ series"))
    expect(chart).to_have_accessible_name(re.compile(r"\$pageview"))
    expect(chart.locator("canvas")).to_have_count(1)
    expect(app_page.get_by_role("status").filter(has_text="Last updated")).to_be_visible()
    # A normal load asks each tile's cached result first ("force_cache"), then computes
    # what was not cached ("blocking"): never "force_blocking".
    assert len(distinct(query_requests)) == 6
    assert {body["refresh"] for body in query_requests} <= {"force_cache", "blocking"}
    assert len([body for body in query_requests if body["refresh"] == "force_cache"]) == 6

    query_requests.clear()
    app_page.get_by_role("button", name="Refresh").click()
    tiles_drawn(app_page, 6)
    expect(app_page.get_by_role("button", name="Refresh")).to_be_enabled()
    assert len(query_requests) == 6
    assert {body["refresh"] for body in query_requests} == {"force_blocking"}


# Every pixel width each chart canvas of a tile has had, from the document's start (an init
# script: the page's CSP forbids inline scripts, not scripts the browser is told to run).
CANVAS_WIDTHS = """(() => {
  const widths = new Map();
  const note = (canvas) => {
    const seen = widths.get(canvas) ?? [];
    if (seen.at(-1) !== canvas.width) seen.push(canvas.width);
    widths.set(canvas, seen);
  };
  window.__tileCanvasWidths = () =>
    [...widths].filter(([c]) => c.isConnected && c.closest("article.tile")).map(([, w]) => w);
  new MutationObserver((records) => {
    for (const record of records) {
      if (record.target instanceof HTMLCanvasElement) note(record.target);
      for (const node of record.addedNodes) {
        if (!(node instanceof Element)) continue;
        const found = node instanceof HTMLCanvasElement ? [node] : node.querySelectorAll("canvas");
        for (const canvas of found) note(canvas);
      }
    }
  }).observe(document, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["width"],
  });
})();"""

# Transitions and animations still running on the dashboard's grid.
GRID_ANIMATIONS = """() => document.getAnimations().filter(
  (a) => a.playState === "running" && a.effect?.target?.closest?.(".dashboard-grid")
).length"""

# Resolves after two frames: a size change of the last frame has reached its observers.
TWO_FRAMES = "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"


def test_a_reloaded_dashboard_draws_each_chart_once_at_its_final_size(
    app_page: Page, pageviews: int
) -> None:
    """Tiles laid out at a provisional width and then shrunk (or growing into place) would
    have each chart drawn at one size and drawn again at the next."""
    app_page.add_init_script(CANVAS_WIDTHS)
    app_page.goto("/dashboards")
    app_page.get_by_role("link", name="Product analytics", exact=True).click()
    tiles_drawn(app_page, 6)
    app_page.reload()  # from the caches, the fast path where charts meet a settling grid
    tiles_drawn(app_page, 6)
    wait_until(app_page, lambda: app_page.evaluate(GRID_ANIMATIONS) == 0)
    app_page.evaluate(TWO_FRAMES)
    widths = app_page.evaluate("window.__tileCanvasWidths()")
    assert len(widths) >= 4
    assert all(len(seen) == 1 for seen in widths), widths


def test_insight_pinned_in_the_ui_stays_after_a_resize_and_a_reload(
    app_server: Server, app_page: Page, pageviews: int
) -> None:
    name = unique("Page views")
    save_insight(app_server, name)
    board = unique("Marketing")

    app_page.goto("/dashboards")
    app_page.get_by_role("button", name="New dashboard").click()
    app_page.get_by_label("Name").fill(board)
    app_page.get_by_role("button", name="Create dashboard").click()
    expect(app_page.get_by_role("heading", level=1)).to_have_text(board)
    expect(app_page.get_by_text("This dashboard has no tiles yet")).to_be_visible()

    app_page.get_by_role("button", name="Add insight").click()
    app_page.get_by_label("Saved insight").select_option(label=name)
    app_page.get_by_role("button", name="Add to dashboard").click()
    tiles_drawn(app_page, 1)
    expect(tile(app_page, name).get_by_role("link", name=name)).to_have_attribute(
        "href", f"/insights/{save_short_id(app_server, name)}"
    )

    # Resize by the corner: wider and taller; the new size is saved.
    card = tile(app_page, name)
    before = card.bounding_box()
    assert before is not None
    handle = card.locator(".react-resizable-handle")
    handle.hover()
    box = handle.bounding_box()
    assert box is not None
    with app_page.expect_response(
        lambda r: r.request.method == "PATCH" and "/dashboards/" in r.url
    ) as patched:
        app_page.mouse.move(box["x"] + 4, box["y"] + 4)
        app_page.mouse.down()
        app_page.mouse.move(box["x"] + 200, box["y"] + 140, steps=8)
        app_page.mouse.up()
    assert patched.value.ok
    [saved] = [t for t in patched.value.json()["tiles"] if t["insight"]]
    assert saved["layouts"]["sm"]["w"] > 6 and saved["layouts"]["sm"]["h"] > 5

    app_page.reload()
    tiles_drawn(app_page, 1)
    after = tile(app_page, name).bounding_box()
    assert after is not None
    assert after["width"] > before["width"] + 100
    assert after["height"] > before["height"] + 60


def save_short_id(server: Server, name: str) -> str:
    with server.api() as api:
        found = api.get(f"{PROJECT}/insights/", params={"search": name}).json()["results"]
    return str(found[0]["short_id"])


def test_dashboard_date_range_requeries_every_tile_and_is_kept(
    app_server: Server, app_page: Page, pageviews: int, query_requests: list[dict[str, Any]]
) -> None:
    # Two different queries (one identical query would be asked once for both tiles).
    insights = [
        save_insight(app_server, unique("Views"), math="total"),
        save_insight(app_server, unique("Viewers"), math="dau"),
    ]
    dashboard_id = make_dashboard(app_server, unique("Weekly"), insights)
    app_page.goto(f"/dashboard/{dashboard_id}")
    tiles_drawn(app_page, 2)
    assert len(distinct(query_requests)) == 2
    assert all(body["query"]["dateRange"]["date_from"] == "-14d" for body in query_requests)

    query_requests.clear()
    app_page.get_by_label("Date range").select_option(label="Last 7 days")
    wait_until(app_page, lambda: len(query_requests) >= 2)
    tiles_drawn(app_page, 2)
    assert len(distinct(query_requests)) == 2
    assert all(
        body["query"]["dateRange"] == {"date_from": "-7d", "date_to": None}
        for body in query_requests
    )

    # Saved with the dashboard: a reload keeps it, and the tiles run the dashboard's range.
    query_requests.clear()
    app_page.reload()
    tiles_drawn(app_page, 2)
    expect(app_page.get_by_label("Date range")).to_have_value("-7d")
    assert len(distinct(query_requests)) == 2
    assert {body["query"]["dateRange"]["date_from"] for body in query_requests} == {"-7d"}


def test_a_tile_moves_up_from_the_keyboard_and_stays_there(
    app_server: Server, app_page: Page, pageviews: int
) -> None:
    first, second = unique("First"), unique("Second")
    insights = [save_insight(app_server, first), save_insight(app_server, second, math="dau")]
    dashboard_id = make_dashboard(app_server, unique("Ordered"), insights)
    app_page.goto(f"/dashboard/{dashboard_id}")
    tiles_drawn(app_page, 2)

    def top(name: str) -> float:
        box = tile(app_page, name).bounding_box()
        assert box is not None
        return box["y"]

    assert top(first) < top(second)
    move = tile(app_page, second).get_by_role("button", name=f"Move {second} up")
    with app_page.expect_response(
        lambda r: r.request.method == "PATCH" and f"/dashboards/{dashboard_id}/" in r.url
    ) as patched:
        move.focus()
        app_page.keyboard.press("Enter")
    assert patched.value.ok
    app_page.reload()
    tiles_drawn(app_page, 2)
    assert top(second) < top(first)


def test_text_card_shows_its_text_as_text(app_server: Server, app_page: Page) -> None:
    dashboard_id = make_dashboard(app_server, unique("Notes"), [])
    hostile = "<b>bold</b> & <img src=x onerror=window.__pwned=1>"
    app_page.goto(f"/dashboard/{dashboard_id}")
    app_page.get_by_role("button", name="Add text card").click()
    app_page.get_by_label("New text card").fill(hostile)
    app_page.get_by_role("button", name="Save text").click()
    card = app_page.locator(f"{TILE} .text-card-body")
    expect(card).to_have_text(hostile)
    app_page.reload()
    expect(card).to_have_text(hostile)
    expect(app_page.locator(f"{TILE} b")).to_have_count(0)
    expect(app_page.locator(f"{TILE} img")).to_have_count(0)
    assert app_page.evaluate("() => window.__pwned") is None


def test_insights_list_searches_on_the_server_and_deletes_after_confirming(
    app_server: Server, app_page: Page
) -> None:
    tag = uuid.uuid4().hex[:6]
    revenue = save_insight(app_server, f"Revenue {tag}", "Money in, by day")
    save_insight(app_server, f"Sign-ups {tag}", "People who signed up")

    app_page.goto("/insights")
    app_page.get_by_label("Search insights").fill(f"revenue {tag}")
    expect(app_page).to_have_url(f"{app_server.url}/insights?search=revenue+{tag}")
    rows = app_page.get_by_role("row").filter(has_text=tag)
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row.get_by_role("link")).to_have_text(f"Revenue {tag}")
    expect(row.get_by_role("link")).to_have_attribute("href", f"/insights/{revenue['short_id']}")
    expect(row).to_contain_text("Trends")
    expect(row).to_contain_text("Money in, by day")
    # The star is saved; who changed the insight last shows (the API key above is nobody's).
    expect(row).not_to_contain_text("by ada@example.com")
    star = row.get_by_role("button", name=f"Favorite Revenue {tag}")
    expect(star).to_have_attribute("aria-pressed", "false")
    star.click()
    expect(star).to_have_attribute("aria-pressed", "true")
    expect(row).to_contain_text("by ada@example.com")
    with app_server.api() as api:
        assert api.get(f"{PROJECT}/insights/{revenue['id']}/").json()["favorited"] is True

    row.get_by_role("button", name=f"Delete Revenue {tag}").click()
    dialog = app_page.get_by_role("alertdialog")
    expect(dialog).to_contain_text(f"Delete the insight “Revenue {tag}”?")
    dialog.get_by_role("button", name="Delete insight").click()
    expect(app_page.get_by_text("No saved insight's name or description contains")).to_be_visible()
    with app_server.api() as api:
        assert api.get(f"{PROJECT}/insights/{revenue['id']}/").status_code == 404

    app_page.get_by_label("Search insights").fill(tag)
    expect(app_page.get_by_role("row").filter(has_text=tag)).to_have_count(1)
    expect(app_page.get_by_role("link", name=f"Sign-ups {tag}")).to_be_visible()
