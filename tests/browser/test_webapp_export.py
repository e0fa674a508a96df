"""Export from the web app in Chromium: the activity view's Export downloads the filtered
events (every event shown, and only those), the SQL screen's downloads the query's rows."""

from __future__ import annotations

import csv
import io
import json
import uuid
from pathlib import Path
from urllib.parse import urlencode

import httpx
from playwright.sync_api import Page, expect

from readback import wait_for_events
from server import TOKEN, Server


def _send(server: Server, event: str, people: list[str]) -> None:
    batch = [
        {
            "event": event,
            "distinct_id": person,
            "properties": {"$current_url": f"https://x.test/{i}"},
        }
        for i, person in enumerate(people)
    ]
    response = httpx.post(server.url + "/batch/", json={"api_key": TOKEN, "batch": batch})
    assert response.status_code == 200
    wait_for_events(server, event, len(people))


def test_activity_export_downloads_the_events_shown(
    app_server: Server, app_page: Page, tmp_path: Path
) -> None:
    event = f"exported {uuid.uuid4().hex[:6]}"
    people = [f"person-{i}-{uuid.uuid4().hex[:4]}" for i in range(3)]
    _send(app_server, event, people)
    _send(app_server, f"other {event}", ["someone-else"])  # filtered out

    app_page.goto("/events?event=" + event.replace(" ", "+"))
    rows = app_page.get_by_role("row").filter(has_text=event)
    expect(rows).to_have_count(3)
    shown = sorted(r.get_by_role("cell").nth(1).inner_text().strip() for r in rows.all())

    group = app_page.get_by_role("group", name="Export the filtered events")
    group.get_by_label("Format").select_option("jsonl")
    with app_page.expect_download() as started:
        group.get_by_role("button", name="Export").click()
    download = started.value
    assert download.suggested_filename.endswith(".jsonl")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(line["distinct_id"] for line in lines) == shown == sorted(people)
    assert {line["event"] for line in lines} == {event}
    assert {line["properties"]["$current_url"] for line in lines} == {
        f"https://x.test/{i}" for i in range(3)
    }
    expect(group.get_by_role("status")).to_contain_text("Exported 3 rows")


def test_sql_export_downloads_the_result_rows(
    app_server: Server, app_page: Page, tmp_path: Path
) -> None:
    event = f"sql export {uuid.uuid4().hex[:6]}"
    _send(app_server, event, ["ann", "bob", "bob"])
    sql = (
        f"SELECT distinct_id, count() AS n FROM events WHERE event = '{event}' "
        "GROUP BY distinct_id ORDER BY distinct_id"
    )
    app_page.goto("/sql?" + urlencode({"q": sql}))
    app_page.get_by_role("button", name="Run").click()
    table = app_page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(3)
    shown = [
        [c.strip() for c in row.get_by_role("cell").all_inner_texts()][1:]  # after the row number
        for row in table.get_by_role("row").all()[1:]
    ]
    group = app_page.get_by_role("group", name="Export every row of the query")
    with app_page.expect_download() as started:
        group.get_by_role("button", name="Export").click()
    path = tmp_path / "out.csv"
    started.value.save_as(path)
    rows = list(csv.reader(io.StringIO(path.read_text())))
    assert rows[0] == ["distinct_id", "n"]
    assert rows[1:] == shown == [["ann", "1"], ["bob", "2"]]
