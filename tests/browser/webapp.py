"""The web app as a user reaches it: a server with a first user, and a browser signed in
through the /login page."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from server import Server

# The first user, made at start from HEDGEROW_ADMIN_EMAIL / HEDGEROW_ADMIN_PASSWORD.
ADMIN = {"HEDGEROW_ADMIN_EMAIL": "ada@example.com", "HEDGEROW_ADMIN_PASSWORD": "correct horse"}
APP_INDEX = Path(__file__).resolve().parents[2] / "src" / "hedgerow" / "web" / "app" / "index.html"


def app_server_for(data_dir: Path) -> Server:
    if not APP_INDEX.is_file():
        pytest.fail("The web app is not built: run `make frontend` (`make test` does it).")
    return Server(data_dir, **ADMIN).start()


def sign_in(chromium: Browser, server: Server) -> BrowserContext:
    """A browser context signed in through the /login page, as a user does: a page asked
    for first sends the browser to /login, and signing in leads back to it."""
    context = chromium.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto("/events")
    expect(page).to_have_url(f"{server.url}/login?next=%2Fevents")
    page.get_by_label("Email").fill(ADMIN["HEDGEROW_ADMIN_EMAIL"])
    page.get_by_label("Password").fill(ADMIN["HEDGEROW_ADMIN_PASSWORD"])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/events")
    page.close()
    return context
