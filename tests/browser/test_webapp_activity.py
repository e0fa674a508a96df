"""Settings → Activity in the web app, against the real server: renaming the project (to a
hostile name, rendered as text) adds an entry that names who did it and the change, at once."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from server import Server

HOSTILE = "<img src=x onerror=window.__pwned=1>"


def test_a_settings_change_appears_in_the_activity_table(
    app_server: Server, app_page: Page
) -> None:
    page = app_page
    page.goto("/settings")
    field = page.get_by_label("Project name", exact=True)
    expect(field).not_to_have_value("")
    before = field.input_value()
    name = f"{HOSTILE} {uuid.uuid4().hex[:6]}"
    table = page.get_by_role("table", name="Activity in")
    expect(page.get_by_role("heading", name="Activity")).to_be_visible()

    field.fill(name)
    page.get_by_role("button", name="Save project").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=f"name: {before} → {name}")
    expect(row).to_have_count(1)  # without a reload
    expect(row.get_by_role("cell").nth(1)).to_have_text("ada@example.com")
    expect(row.get_by_role("cell").nth(2)).to_have_text("Changed the project's settings")
    expect(table.locator("img")).to_have_count(0)
    assert page.evaluate("window.__pwned") is None
    with app_server.api() as client:
        client.patch("/api/projects/1/", json={"name": before})
