"""Debian's Chromium, driven headless by Playwright (which never downloads a browser here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from browser_site import CHROMIUM, CHROMIUM_ARGS, Site
from server import Server
from webapp import app_server_for, sign_in


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture()
def site_for() -> Iterator[Callable[[Server], Site]]:
    """Start a web site whose pages send to the given Hedgerow server."""
    sites: list[Site] = []

    def start(hedgerow: Server) -> Site:
        sites.append(Site(hedgerow))
        return sites[-1]

    yield start
    for site in sites:
        site.close()


@pytest.fixture()
def site(server: Server, site_for: Callable[[Server], Site]) -> Site:
    return site_for(server)


@pytest.fixture()
def page(chromium: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (empty storage: a new anonymous visitor)."""
    context = chromium.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of the module's own for the web app's tests (their lists count events)."""
    instance = app_server_for(tmp_path_factory.mktemp("webapp") / "data")
    yield instance
    instance.stop()


@pytest.fixture()
def app_page(chromium: Browser, app_server: Server) -> Iterator[Page]:
    """A page of the web app, signed in through /login."""
    context = sign_in(chromium, app_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
