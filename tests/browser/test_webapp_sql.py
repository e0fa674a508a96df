"""The web app's SQL screen in Chromium, against the real server: a query runs with the Run
button and with Ctrl+Enter and shows its columns and rows, the parser's and ClickHouse's
errors show inline, the query lives in the URL (a reload runs it again), the CSV download
quotes what it must and keeps hostile text as text, completion offers the project's property
names, and a running query can be cancelled or replaced by a newer one."""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import Locator, Page, Route, expect

from readback import wait_for_events
from server import TOKEN, Server

HOSTILE = "<img src=x onerror=window.__pwned=1>"


def send(server: Server, events: list[dict[str, object]]) -> None:
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": events})
    assert response.status_code == 200


@pytest.fixture(scope="module")
def shop(app_server: Server) -> dict[str, str]:
    """Three purchases with a tricky note, and an event with a hostile name."""
    event, key = f"Plan purchased {uuid.uuid4().hex[:6]}", f"coupon_{uuid.uuid4().hex[:6]}"
    notes = ['a,b "quoted"\nsecond line', '=HYPERLINK("http://x")', HOSTILE]
    send(
        app_server,
        [
            {
                "event": event,
                "distinct_id": f"buyer-{i}",
                "properties": {"plan": plan, "price": 10 * (i + 1), "note": note, key: "SAVE"},
            }
            for i, (plan, note) in enumerate(zip(["basic", "pro", "pro"], notes, strict=True))
        ]
        + [{"event": HOSTILE, "distinct_id": "mallory", "properties": {}}],
    )
    wait_for_events(app_server, event, 3)
    wait_for_events(app_server, HOSTILE, 1)
    return {"event": event, "key": key}


@pytest.fixture()
def sql_page(app_page: Page) -> Iterator[Page]:
    """The signed-in page, failing the test if the Content-Security-Policy refused anything
    (CodeMirror's styles must not need inline <style>)."""
    refused: list[str] = []
    app_page.on(
        "console",
        lambda message: (
            refused.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield app_page
    assert refused == []
    assert app_page.evaluate("window.__pwned") is None


def editor(page: Page) -> Locator:
    return page.get_by_role("textbox", name="SQL query")


def write(page: Page, text: str) -> None:
    """Replace the editor's text, as a paste would (no completion or bracket closing)."""
    editor(page).click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def header_texts(page: Page) -> list[str]:
    return page.locator(".sql-table thead th").all_inner_texts()[1:]


def body_rows(page: Page) -> list[list[str]]:
    rows = page.locator(".sql-table tbody tr:not(.spacer)")
    return [row.locator("td").all_inner_texts()[1:] for row in rows.all()]


def test_run_by_button_and_ctrl_enter_and_again_after_a_reload(
    app_server: Server, sql_page: Page, shop: dict[str, str]
) -> None:
    page = sql_page
    page.goto("/sql")
    expect(page.get_by_role("heading", name="SQL")).to_be_visible()
    query = (
        "SELECT properties.plan AS plan, count() AS purchases, sum(properties.price) AS revenue\n"
        f"FROM events WHERE event = '{shop['event']}' GROUP BY plan ORDER BY plan"
    )
    write(page, query)
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_role("status").filter(has_text="2 rows")).to_be_visible()
    assert header_texts(page) == ["plan", "purchases", "revenue"]
    assert body_rows(page) == [["basic", "1", "10"], ["pro", "2", "50"]]
    assert parse_qs(urlsplit(page.url).query)["q"] == [query]

    # The link runs it again: after a reload the editor holds it and the rows are back.
    page.reload()
    expect(page.get_by_role("status").filter(has_text="2 rows")).to_be_visible()
    assert body_rows(page) == [["basic", "1", "10"], ["pro", "2", "50"]]
    expect(editor(page)).to_have_text(query.replace("\n", ""))

    # Ctrl+Enter in the editor runs the new text; captured names show as text.
    write(page, f"SELECT event, distinct_id FROM events WHERE event = '{HOSTILE}'")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("status").filter(has_text="1 row")).to_be_visible()
    assert header_texts(page) == ["event", "distinct_id"]
    assert body_rows(page) == [[HOSTILE, "mallory"]]
    assert "onerror" in parse_qs(urlsplit(page.url).query)["q"][0]


def test_parser_and_clickhouse_errors_show_inline(sql_page: Page) -> None:
    page = sql_page
    page.goto("/sql")
    write(page, "SELECT event FROM events WHERE")
    page.keyboard.press("Control+Enter")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The query is not valid SQL here")
    expect(alert).to_contain_text("Syntax error at line 1, column 31")
    expect(alert).to_contain_text("invalid_sql")
    expect(page.locator(".sql-table")).to_have_count(0)

    write(page, "SELECT 1 + 'a'")
    page.get_by_role("button", name="Run").click()
    expect(alert).to_contain_text("ClickHouse could not run the query")
    expect(alert).to_contain_text("Illegal types UInt8 and String of arguments of function plus")
    expect(alert).to_contain_text("query_failed")

    # A good query clears the error.
    write(page, "SELECT 1 AS one")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("status").filter(has_text="1 row")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)


def test_csv_download_quotes_and_keeps_hostile_text_as_text(
    sql_page: Page, shop: dict[str, str]
) -> None:
    page = sql_page
    query = (
        f"SELECT distinct_id, properties.note AS note, properties.price AS price FROM events "
        f"WHERE event = '{shop['event']}' ORDER BY distinct_id"
    )
    page.goto(f"/sql?{httpx.QueryParams({'q': query})}")
    expect(page.get_by_role("status").filter(has_text="3 rows")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("button", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("hedgerow-sql-")
    assert download.suggested_filename.endswith(".csv")
    raw = Path(download.path()).read_bytes().decode("utf-8")
    assert raw.startswith("\ufeffdistinct_id,note,price\r\n")
    assert '"a,b ""quoted""\nsecond line"' in raw
    rows = list(csv.reader(io.StringIO(raw.removeprefix("\ufeff"), newline="")))
    assert rows == [
        ["distinct_id", "note", "price"],
        ["buyer-0", 'a,b "quoted"\nsecond line', "10"],
        ["buyer-1", '\'=HYPERLINK("http://x")', "20"],
        ["buyer-2", HOSTILE, "30"],
    ]


def test_completion_offers_the_projects_property_names(
    sql_page: Page, shop: dict[str, str]
) -> None:
    page = sql_page
    page.goto("/sql")
    editor(page).click()
    page.keyboard.type("SELECT properties.")
    completions = page.get_by_role("listbox")
    expect(completions.get_by_role("option", name=shop["key"])).to_be_visible()
    page.keyboard.type(shop["key"][:8])
    option = completions.get_by_role("option").first
    expect(option).to_contain_text(shop["key"])
    option.click()
    expect(editor(page)).to_have_text(f"SELECT properties.{shop['key']}")

    # Tables complete too (from the server's SQL schema).
    page.keyboard.type(" FROM person_d")
    expect(completions.get_by_role("option", name="person_distinct_ids")).to_be_visible()


def test_cancel_and_a_newer_run_abort_the_running_request(sql_page: Page) -> None:
    page = sql_page
    page.goto("/sql")
    held: list[Route] = []
    aborted: list[str] = []
    page.on("requestfailed", lambda request: aborted.append(request.post_data or ""))
    page.route("**/query/", lambda route: held.append(route))

    write(page, "SELECT 'first' AS run")
    page.keyboard.press("Control+Enter")
    expect(page.get_by_role("status").filter(has_text="Running…")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("Cancelled.")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)

    # A newer run replaces one still running: only the newer answer is shown.
    page.get_by_role("button", name="Run").click()
    write(page, "SELECT 'second' AS run")
    page.keyboard.press("Control+Enter")
    deadline = time.monotonic() + 10
    while len(held) < 3 and time.monotonic() < deadline:
        page.wait_for_timeout(20)  # lets Playwright hand the held requests to the route
    assert [route.request.post_data_json["query"]["query"] for route in held] == [
        "SELECT 'first' AS run",
        "SELECT 'first' AS run",
        "SELECT 'second' AS run",
    ]
    held[2].continue_()
    expect(page.get_by_role("status").filter(has_text="1 row")).to_be_visible()
    assert body_rows(page) == [["second"]]
    assert len([body for body in aborted if "first" in body]) == 2
