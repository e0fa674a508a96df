"""Signing in and out of the web app in Chromium: pages need a session, sign out ends it on
the server, and the app's pages carry the Content-Security-Policy."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.sync_api import Browser, expect

from server import Server
from webapp import sign_in


def test_sign_out_ends_the_session_and_pages_send_to_login(
    chromium: Browser, app_server: Server
) -> None:
    context = sign_in(chromium, app_server)
    try:
        page = context.new_page()
        response = page.goto("/events")
        assert response is not None
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        session = next(c for c in context.cookies() if c["name"] == "hedgerow_session")
        assert session["httpOnly"] and session["sameSite"] == "Lax"

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{app_server.url}/login")
        page.goto("/events")
        expect(page).to_have_url(f"{app_server.url}/login?next=%2Fevents")

        # The old cookie, replayed, no longer opens anything: the session ended on the server.
        replayed = httpx.get(
            app_server.url + "/api/users/@me/", cookies={"hedgerow_session": session["value"]}
        )
        assert replayed.status_code == 401
    finally:
        context.close()


def test_the_setup_link_creates_the_first_account_in_the_browser(
    chromium: Browser, tmp_path: Path
) -> None:
    server = Server(tmp_path / "data").start()  # no user yet: the banner prints the link
    context = chromium.new_context()
    try:
        lines = [ln for ln in server.log_path.read_text().splitlines() if "set up:" in ln]
        link = lines[0].split("set up:", 1)[1].strip()
        page = context.new_page()
        page.goto(link)
        page.get_by_label("Email").fill("first@example.com")
        page.get_by_label("Password").fill("a long enough password")
        page.get_by_role("button", name="Create account").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        expect(page.get_by_text("first@example.com")).to_be_visible()
        assert httpx.get(server.url + "/api/setup/").json() == {"needed": False}
    finally:
        context.close()
        server.stop()
