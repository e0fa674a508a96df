"""/web in Chromium against the real server: page views sent through capture (paths,
referrers, UTM links, countries, two hosts) show as tiles and tables equal to a computation
over what was sent; a click on a country row filters every tile (and back undoes it); the
site picker filters by host; the world map shades the countries with visitors; a new page
view appears among the live visitors, its captured path shown as text."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from web_data import (
    Session,
    change_pct,
    countries,
    in_range,
    overview,
    pages,
    send_events,
    send_web_dataset,
    tile_texts,
)

from server import Server

HOSTILE = "/<img src=x onerror=window.__pwned=1>"
DARKEST = (0x1D, 0x5F, 0xBF)  # the map's shade of the most visited country
WAIT = 20_000  # ms: up to 8 queries, 3 at a time, on a busy machine


@pytest.fixture(scope="module")
def sent(app_server: Server) -> dict[str, Any]:
    now = datetime.now(UTC)
    sessions = send_web_dataset(app_server, now)
    # The default range, -7d: from the start of the day 7 days ago; the previous period is
    # as long (8 days) just before it.
    start = (now - timedelta(days=7)).replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "sessions": in_range(sessions, start, now),
        "previous": in_range(
            sessions, start - timedelta(days=8), start - timedelta(microseconds=1)
        ),
    }


def tile(page: Page, label: str) -> Locator:
    return page.get_by_role("group", name=label, exact=True)


def expect_tiles(page: Page, sessions: list[Session]) -> None:
    for label, text in tile_texts(overview(sessions)).items():
        expect(tile(page, label).locator(".web-tile-value")).to_have_text(text, timeout=WAIT)


def card(page: Page, title: str) -> Locator:
    return page.get_by_role("region", name=title, exact=True)


def table_rows(panel: Locator) -> list[list[str]]:
    rows = panel.locator("tbody tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("th, td").all_inner_texts()]
        for i in range(rows.count())
    ]


SHADE = """([r0, g0, b0]) => {
    const canvas = document.querySelector('figure[aria-label^="World map"] canvas');
    if (!canvas) return null;
    const { width, height } = canvas;
    const data = canvas.getContext("2d").getImageData(0, 0, width, height).data;
    let n = 0, sx = 0, sy = 0;
    for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i] - r0) <= 2 && Math.abs(data[i + 1] - g0) <= 2
            && Math.abs(data[i + 2] - b0) <= 2) {
            const p = i / 4;
            n += 1; sx += p % width; sy += Math.floor(p / width);
        }
    }
    return { n, x: n ? sx / n / width : null, y: n ? sy / n / height : null };
}"""


def wait_for_shade(
    page: Page, minimum: int, x: tuple[float, float], y: tuple[float, float]
) -> dict[str, Any]:
    """Wait until the world map's canvas has at least `minimum` pixels of the darkest shade,
    centered within `x` and `y` (fractions of the canvas), and return what it found."""
    check = f"""(color) => {{
        const r = ({SHADE})(color);
        return r && r.n >= {minimum} && r.x > {x[0]} && r.x < {x[1]} && r.y > {y[0]}
            && r.y < {y[1]} ? r : false;
    }}"""
    try:
        found: dict[str, Any] = page.wait_for_function(
            check, arg=list(DARKEST), timeout=WAIT
        ).json_value()
    except PlaywrightTimeoutError:
        last = page.evaluate(SHADE, list(DARKEST))
        raise AssertionError(f"the darkest shade is not where expected: {last}") from None
    return found


def test_tiles_and_tables_equal_what_was_sent(
    sent: dict[str, Any], app_server: Server, app_page: Page
) -> None:
    page = app_page
    page.goto("/web")
    expect(page.get_by_role("heading", name="Web analytics")).to_be_visible()
    current, previous = sent["sessions"], sent["previous"]
    expect_tiles(page, current)
    visitors = change_pct(overview(current).visitors, overview(previous).visitors)
    assert visitors is not None and visitors > 0
    expect(tile(page, "Visitors")).to_contain_text(f"↑ {visitors}%")

    expected_pages = pages(current)
    pages_card = card(page, "Pages")
    expect(pages_card.locator("tbody tr")).to_have_count(min(10, len(expected_pages)), timeout=WAIT)
    got = [row[:3] for row in table_rows(pages_card)]
    assert got == [[path, str(v), str(n)] for path, v, n in expected_pages[:10]]

    geography = card(page, "Geography")
    by_country = countries(current)
    expect(geography.locator("tbody tr")).to_have_count(len(by_country), timeout=WAIT)
    france = geography.get_by_role("row", name=re.compile(r"^France \(FR\)"))
    expect(france).to_contain_text(str(by_country["FR"]))

    # Another tab of a card: its own table, and the URL remembers it.
    sources = card(page, "Sources")
    sources.get_by_role("tab", name="UTM source").click()
    expect(page).to_have_url(re.compile(r"sources=InitialUTMSource"))
    newsletter = len({s.distinct_id for s in current if s.utm})
    expect(sources.get_by_role("row", name=re.compile("^newsletter"))).to_contain_text(
        str(newsletter)
    )


def test_a_row_click_filters_every_tile_and_back_undoes_it(
    sent: dict[str, Any], app_server: Server, app_page: Page
) -> None:
    page = app_page
    page.goto("/web")
    current = sent["sessions"]
    expect_tiles(page, current)
    card(page, "Geography").get_by_role("button", name="France (FR)").click()

    chips = page.get_by_role("list", name="Filters")
    expect(chips).to_contain_text("Country is France (FR)")
    expect(page).to_have_url(re.compile(r"f=event%2C%24geoip_country_code%2CFR"))
    french = [s for s in current if s.country == "FR"]
    assert 0 < overview(french).visitors < overview(current).visitors
    expect_tiles(page, french)
    expect(card(page, "Geography").locator("tbody tr")).to_have_count(1, timeout=WAIT)

    page.go_back()
    expect(chips).to_have_count(0)
    expect_tiles(page, current)
    page.go_forward()
    expect_tiles(page, french)
    # A second click on the selected row takes its filter out; a chip's × does too.
    geography = card(page, "Geography")
    geography.get_by_role("button", name="France (FR)").click()
    expect(chips).to_have_count(0)
    expect_tiles(page, current)
    geography.get_by_role("button", name="France (FR)").click()
    expect_tiles(page, french)
    page.get_by_role("button", name="Remove filter: Country is France (FR)").click()
    expect_tiles(page, current)


def test_the_site_picker_filters_by_host(
    sent: dict[str, Any], app_server: Server, app_page: Page
) -> None:
    page = app_page
    page.goto("/web")
    site = page.get_by_label("Site")
    expect(site.locator("option")).to_have_text(["All sites", "shop.example", "blog.example"])
    site.select_option("blog.example")
    expect(page).to_have_url(re.compile(r"host=blog.example"))
    expect_tiles(page, [s for s in sent["sessions"] if s.host == "blog.example"])


def test_the_world_map_shades_the_countries_with_visitors(
    sent: dict[str, Any], app_server: Server, app_page: Page
) -> None:
    page = app_page
    page.goto("/web")
    by_country = countries(sent["sessions"])
    assert max(by_country, key=lambda code: by_country[code]) == "US"
    expect(card(page, "Geography").locator("tbody tr")).to_have_count(len(by_country), timeout=WAIT)
    # The location data's licence (DB-IP, CC BY 4.0) asks for a link back where it is shown.
    credit = card(page, "Geography").get_by_role("link", name="IP Geolocation by DB-IP")
    expect(credit).to_have_attribute("href", "https://db-ip.com")
    # The darkest shade is the most visited country's, the United States: west of the
    # middle, north of the equator.
    us = wait_for_shade(page, 200, (0.05, 0.45), (0.1, 0.5))
    # A click on the United States filters the page by it.
    canvas = page.get_by_role("figure", name=re.compile("^World map")).locator("canvas")
    box = canvas.bounding_box()
    assert box is not None
    canvas.click(position={"x": us["x"] * box["width"], "y": us["y"] * box["height"]})
    expect(page.get_by_role("list", name="Filters")).to_contain_text(
        "Country is United States (US)"
    )
    expect(card(page, "Geography").locator("tbody tr")).to_have_count(1, timeout=WAIT)
    # Filtered to France, France alone is shaded, and so the darkest: just east of the middle.
    page.goto("/web?f=event,$geoip_country_code,FR")
    expect(card(page, "Geography").locator("tbody tr")).to_have_count(1, timeout=WAIT)
    expect(page.get_by_role("figure", name=re.compile("^World map"))).to_have_attribute(
        "aria-label", re.compile("1 country shaded")
    )
    wait_for_shade(page, 20, (0.45, 0.6), (0.1, 0.45))


def test_a_new_page_view_appears_among_the_live_visitors(
    sent: dict[str, Any], app_server: Server, app_page: Page
) -> None:
    page = app_page
    page.goto("/web")
    live = page.get_by_role("region", name="Live")
    expect(live).to_contain_text("0 visitors in the last 5 minutes", timeout=WAIT)
    expect(live).to_contain_text("No page views in the last 5 minutes.")
    path = f"/live-{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC)
    send_events(
        app_server,
        [
            _pageview("live-1", path, now),
            _pageview("live-2", HOSTILE, now),
        ],
    )
    # Asked again every 10 s: no reload.
    expect(live).to_contain_text("2 visitors in the last 5 minutes", timeout=30_000)
    expect(live.get_by_role("row").filter(has_text=path)).to_have_text(re.compile(rf"^{path}\s*1$"))
    expect(live.get_by_role("rowheader", name=HOSTILE, exact=True)).to_have_count(1)
    assert page.evaluate("window.__pwned") is None


def _pageview(distinct_id: str, path: str, when: datetime) -> dict[str, Any]:
    return {
        "event": "$pageview",
        "distinct_id": distinct_id,
        "timestamp": when.isoformat(),
        "properties": {
            "$session_id": str(uuid.uuid4()),
            "$current_url": f"https://shop.example{path}",
            "$pathname": path,
            "$host": "shop.example",
        },
    }
