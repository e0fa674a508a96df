"""The insight editor in Chromium, against the real server and data sent through the capture
API: each insight kind built with the editor's controls draws its chart (the canvas, and the
series the chart's accessible name lists), a point opens its persons and a person's link
leads to them, and an insight is saved, reloaded, edited, duplicated, added to a dashboard
and deleted. Hostile event names show as text and run nothing."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlencode, urlparse

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from insights_data import send_insights_dataset
from server import API_KEY, TOKEN, Server

HOSTILE = "<img src=x onerror=window.__pwned=1>"
HOSTILE_PAGE = {"$browser": HOSTILE, "$current_url": HOSTILE, "$pathname": HOSTILE}


@pytest.fixture(scope="module", autouse=True)
def dataset(app_server: Server) -> None:
    send_insights_dataset(app_server)
    # Page views whose browser and URL are markup, and an event named so.
    hostile = [
        {"event": "$pageview", "distinct_id": f"hostile-{n}", "properties": HOSTILE_PAGE}
        for n in range(2)
    ] + [{"event": HOSTILE, "distinct_id": "hostile-0", "properties": {}}]
    response = httpx.post(app_server.url + "/batch/", json={"api_key": TOKEN, "batch": hostile})
    assert response.status_code == 200
    app_server.wait_ingested(app_server.status()["received"])


def result(page: Page) -> Locator:
    panel = page.locator(".insight-result")
    expect(panel).to_have_attribute("aria-busy", "false", timeout=15_000)
    return panel


def chart(page: Page, name: str) -> Locator:
    """The drawn chart whose accessible name is `name` (its kind and its series)."""
    figure = result(page).get_by_role("figure", name=name, exact=True)
    expect(figure).to_be_visible()
    expect(figure.locator("canvas")).to_have_count(1)
    return figure


def test_each_kind_built_in_the_editor_draws_its_chart(app_page: Page) -> None:
    page = app_page
    page.goto("/insights/new")
    chart(page, "Line chart of 1 series: $pageview")
    page.get_by_role("button", name="Add series").click()
    page.get_by_label("Series 2 event").fill("signed up")
    page.get_by_label("Series 2 math").select_option(label="Unique users")
    chart(page, "Line chart of 2 series: $pageview, signed up")
    page.get_by_label("Chart type").select_option(label="Stacked bar chart")
    page.get_by_role("button", name="Remove series 2").click()
    page.get_by_label("Breakdown property").fill("$browser")
    stacked = result(page).get_by_role("figure", name=re.compile("^Stacked bar chart of 4 series"))
    expect(stacked.locator("canvas")).to_have_count(1)
    names = (stacked.get_attribute("aria-label") or "").split(": ", 1)[1].split(", ")
    assert sorted(names) == sorted(["Chrome", "Firefox", "Safari", HOSTILE])
    stacked.locator("canvas").hover()  # the tooltip names every series, the hostile one too

    page.get_by_role("tab", name="Funnels").click()
    page.get_by_label("Step 2 event").fill("signed up")
    chart(page, "Funnel chart of 2 series: Converted, Dropped off")
    steps = result(page).get_by_role("table", name="Funnel steps")
    expect(steps.get_by_role("row")).to_have_count(3)
    expect(steps.get_by_role("rowheader")).to_have_text(["1. $pageview", "2. signed up"])

    page.get_by_role("tab", name="Retention").click()
    chart(page, "Retention curve of 1 series: Mean")
    cohorts = result(page).get_by_role("table", name="Retention by cohort")
    expect(cohorts.get_by_role("columnheader", name="Week 7")).to_be_visible()
    expect(cohorts.get_by_role("row")).to_have_count(9)

    page.get_by_role("tab", name="Paths").click()
    figure = result(page).get_by_role("figure", name=re.compile(r"^Paths diagram of \d+ moves"))
    expect(figure.locator("canvas")).to_have_count(1)

    page.get_by_role("tab", name="Stickiness").click()
    chart(page, "Stickiness chart of 1 series: $pageview")
    result(page).get_by_text("Numbers behind the chart").click()
    expect(result(page).get_by_role("columnheader", name="2 days", exact=True)).to_be_visible()

    page.get_by_role("tab", name="Lifecycle").click()
    page.get_by_label("Interval").select_option("week")
    chart(page, "Lifecycle chart of 4 series: New, Returning, Resurrecting, Dormant")

    page.get_by_role("tab", name="SQL").click()
    page.get_by_label("SQL query").fill("SELECT event, count() AS n FROM events GROUP BY event")
    page.get_by_role("button", name="Run").click()
    table = result(page).get_by_role("table", name="Query result")
    expect(table.get_by_role("cell", name=HOSTILE, exact=True)).to_be_visible()
    expect(table.get_by_role("cell", name="signed up", exact=True)).to_be_visible()

    # The insight is in the address: a reload shows the same one.
    page.reload()
    expect(page.get_by_role("tab", name="SQL")).to_have_attribute("aria-selected", "true")
    expect(result(page).get_by_role("cell", name="signed up", exact=True)).to_be_visible()
    assert page.evaluate("window.__pwned") is None
    assert page.locator("img").count() == 0


def test_the_time_to_convert_histogram_draws_the_servers_bins(
    app_page: Page, app_server: Server
) -> None:
    page = app_page
    query = {
        "kind": "FunnelsQuery",
        "series": [
            {"kind": "EventsNode", "event": e} for e in ("$pageview", "signed up", "plan purchased")
        ],
        "dateRange": {"date_from": "-30d"},
        "funnelsFilter": {"funnelWindowInterval": 14, "funnelWindowIntervalUnit": "day"},
    }
    page.goto("/insights/new?" + urlencode({"q": json.dumps(query)}))
    chart(page, "Funnel chart of 2 series: Converted, Dropped off")
    page.get_by_label("Funnel view").select_option(label="Time to convert")
    page.get_by_label("From step").select_option(label="2. signed up")
    page.get_by_label("Bins").fill("4")
    figure = result(page).get_by_role(
        "figure", name=re.compile(r"^Time to convert histogram of \d+ bars: \d+ persons$")
    )
    expect(figure.locator("canvas")).to_have_count(1)
    expect(page.get_by_label("To step")).to_have_value("2")
    # The bars are the server's bins for the query in the address (the last one, after the
    # range, left out when empty).
    sent = json.loads(parse_qs(urlparse(page.url).query)["q"][0])
    assert sent["funnelsFilter"]["funnelVizType"] == "time_to_convert"
    assert (sent["funnelsFilter"]["funnelFromStep"], sent["funnelsFilter"]["binCount"]) == (1, 4)
    bins = app_server.query(sent)["results"]["bins"]
    if len(bins) > 1 and bins[-1][1] == 0:
        bins = bins[:-1]
    assert sum(n for _, n in bins) > 3 and len(bins) >= 4  # the data is not trivial
    result(page).get_by_text("Numbers behind the chart").click()
    numbers = result(page).get_by_role("table", name="Persons by time to convert")
    assert [int(v) for v in numbers.get_by_role("cell").all_inner_texts()] == [n for _, n in bins]
    label = figure.get_attribute("aria-label") or ""
    assert label.endswith(f"of {len(bins)} bars: {sum(n for _, n in bins)} persons")


def test_property_math_reads_an_event_or_a_person_property(
    app_page: Page, app_server: Server
) -> None:
    page = app_page
    query = {
        "kind": "TrendsQuery",
        "series": [
            {
                "kind": "EventsNode",
                "event": "plan purchased",
                "math": "sum",
                "math_property": "price",
            }
        ],
        "dateRange": {"date_from": "-90d"},
        "trendsFilter": {"display": "ActionsTable"},
    }
    page.goto("/insights/new?" + urlencode({"q": json.dumps(query)}))
    prices = sum(e["properties"]["price"] for e in app_server.events(event="plan purchased"))
    assert prices > 0
    value = result(page).get_by_role("table").get_by_role("row").nth(1).get_by_role("cell")
    expect(value).to_have_text(f"{prices:,}")
    # The persons have no `price`: summed as a person property, nothing.
    page.get_by_label("Series 1 math property type").select_option(label="of the person property")
    expect(value).to_have_text("0")
    sent = json.loads(parse_qs(urlparse(page.url).query)["q"][0])
    assert sent["series"][0]["math_property_type"] == "person_properties"


def test_a_point_opens_its_persons_and_a_person_link_leads_to_them(app_page: Page) -> None:
    page = app_page
    # Unique users this month as one bar (the hostile page views are from now): the middle of
    # the plot is in it.
    query = {
        "kind": "TrendsQuery",
        "series": [{"kind": "EventsNode", "event": "$pageview", "math": "dau"}],
        "interval": "month",
        "dateRange": {"date_from": "-0mStart"},
        "trendsFilter": {"display": "ActionsBar"},
    }
    page.goto("/insights/new?" + urlencode({"q": json.dumps(query)}))
    figure = chart(page, "Bar chart of 1 series: $pageview")
    box = figure.locator("canvas").bounding_box()
    assert box is not None
    result(page).get_by_text("Numbers behind the chart").click()
    numbers = result(page).get_by_role("table", name="Bar chart of 1 series: $pageview")
    values = numbers.get_by_role("cell").all_inner_texts()
    assert len(values) == 1 and int(values[0]) > 0
    canvas = figure.locator("canvas")
    canvas.click(position={"x": box["width"] / 2, "y": box["height"] * 0.75})

    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", level=2)).to_have_text(re.compile(r"^Persons on \d{4}-"))
    count = int(values[0])
    expect(dialog.get_by_text(f"{count} person{'' if count == 1 else 's'}")).to_be_visible()
    links = dialog.get_by_role("link")
    expect(links).to_have_count(count)
    first = links.first
    href = first.get_attribute("href") or ""
    assert re.fullmatch(r"/persons/[0-9a-f-]{36}", href)
    first.click()
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))

    # A value over the whole range (the table display): its persons are the range's.
    query |= {"dateRange": {"date_from": "-30d"}, "trendsFilter": {"display": "ActionsTable"}}
    page.goto("/insights/new?" + urlencode({"q": json.dumps(query)}))
    row = result(page).get_by_role("table").get_by_role("row").nth(1)
    users = int(row.get_by_role("cell").inner_text())
    row.get_by_role("button", name="$pageview").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text(f"{users} persons")).to_be_visible()
    dialog.get_by_role("button", name="Close").click()

    # A funnel's drop-off, from its table's buttons (the keyboard's way to a point).
    page.goto("/insights/new")
    page.get_by_role("tab", name="Funnels").click()
    page.get_by_label("Step 2 event").fill("signed up")
    steps = result(page).get_by_role("table", name="Funnel steps")
    dropped = steps.get_by_role("row").nth(2).get_by_role("cell").nth(3)
    count = int(dropped.inner_text())
    dropped.get_by_role("button").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Persons who dropped off before step 2")
    expect(dialog.get_by_role("link")).to_have_count(count)
    dialog.get_by_role("button", name="Close").click()

    # A retention cell is a button: its persons are the cohort's at that period.
    page.goto("/insights/new")
    page.get_by_role("tab", name="Retention").click()
    cohorts = result(page).get_by_role("table", name="Retention by cohort")
    rows = cohorts.get_by_role("row")
    expect(rows).to_have_count(9)
    sizes = [int(row.get_by_role("cell").nth(0).inner_text()) for row in rows.all()[1:]]
    cohort = next(n for n, size in enumerate(sizes) if size > 0)
    rows.nth(cohort + 1).get_by_role("button").first.click()
    dialog = page.get_by_role("dialog")
    heading = f"Persons of cohort {cohort + 1}, period 0"
    expect(dialog.get_by_role("heading", name=heading)).to_be_visible()
    expect(dialog.get_by_role("link")).to_have_count(sizes[cohort])
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()


def test_save_reload_edit_duplicate_add_to_dashboard_and_delete(
    app_page: Page, app_server: Server
) -> None:
    page = app_page
    page.goto("/insights/new")
    page.get_by_role("tab", name="Stickiness").click()
    chart(page, "Stickiness chart of 1 series: $pageview")
    page.get_by_label("Insight name").fill("Sticky visitors")
    page.get_by_label("Insight description").fill("Days active")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/insights/[A-Za-z0-9]{8}$"))
    short_id = page.url.rsplit("/", 1)[1]

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sticky visitors")
    chart(page, "Stickiness chart of 1 series: $pageview")
    # The answer's age, and Refresh computes it again instead of reading the cache.
    expect(result(page).get_by_role("status")).to_have_text(re.compile(r"^Computed .+ ago$"))
    with page.expect_response(lambda r: r.url.endswith("/query/")) as answer:
        page.get_by_role("button", name="Refresh").click()
    assert json.loads(answer.value.request.post_data or "{}")["refresh"] == "force_blocking"
    assert answer.value.json()["is_cached"] is False
    expect(result(page).get_by_role("status")).to_have_text("Computed a few seconds ago")

    # An edit shows in the address (and as unsaved) until it is saved.
    page.get_by_label("Interval").select_option("week")
    expect(page).to_have_url(re.compile(rf"/insights/{short_id}\?q="))
    expect(page.get_by_text("Unsaved changes.")).to_be_visible()
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(re.compile(rf"/insights/{short_id}$"))
    page.reload()
    expect(page.get_by_label("Interval")).to_have_value("week")

    page.get_by_label("Dashboard to add to").select_option(label="Product analytics")
    page.get_by_role("button", name="Add to dashboard").click()
    expect(page.get_by_role("status").filter(has_text="Added to")).to_have_text(
        "Added to Product analytics."
    )
    headers = {"Authorization": f"Bearer {API_KEY}"}
    found = httpx.get(
        f"{app_server.url}/api/projects/1/insights/?short_id={short_id}", headers=headers
    ).json()["results"][0]
    assert len(found["dashboards"]) == 1
    assert found["query"]["interval"] == "week"

    page.get_by_role("button", name="Duplicate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sticky visitors (copy)")
    assert not page.url.endswith(short_id)

    page.get_by_role("button", name="Delete").click()
    page.get_by_role("button", name="Yes, delete").click()
    expect(page).to_have_url(re.compile(r"/insights$"))
    page.goto(f"/insights/{short_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sticky visitors")
