"""Screenshots of /web for `make screenshots` (docs/ui/web*.png): the whole page over the
web dataset (web_data.py), filtered to one country with the Countries map, and a period
without page views (the empty states)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from playwright.sync_api import Page
from web_data import send_events, send_web_dataset

from server import Server


def _live(distinct_id: str, path: str) -> dict[str, object]:
    """A page view now: someone on the site at this moment."""
    return {
        "event": "$pageview",
        "distinct_id": distinct_id,
        "timestamp": datetime.now(UTC).isoformat(),
        "properties": {
            "$session_id": str(uuid.uuid4()),
            "$current_url": f"https://shop.example{path}",
            "$pathname": path,
            "$host": "shop.example",
            "$geoip_country_code": "GB",
            "$geoip_disable": True,
        },
    }


def _shoot(page: Page, path: str, out: Path, ready: str) -> None:
    page.goto(path)
    page.wait_for_selector(ready)
    page.wait_for_function("() => document.querySelectorAll('.loading').length === 0")
    page.wait_for_timeout(600)  # the chart's entry animation
    page.screenshot(path=str(out))
    print(f"wrote {out}")


def shoot_web(page: Page, server: Server, out_dir: Path) -> None:
    send_web_dataset(server)
    send_events(
        server, [_live("now-1", "/pricing"), _live("now-2", "/"), _live("now-3", "/pricing")]
    )
    page.set_viewport_size({"width": 1280, "height": 1600})  # the screen scrolls inside
    _shoot(page, "/web", out_dir / "web.png", "figure[aria-label^='World map'] canvas")
    _shoot(
        page,
        "/web?f=event,$geoip_country_code,FR&sources=InitialChannelType&devices=Browser",
        out_dir / "web-filtered.png",
        "text=Country is France (FR)",
    )
    page.set_viewport_size({"width": 1280, "height": 1000})
    _shoot(
        page,
        "/web?from=2020-01-01&to=2020-01-31&geo=City",
        out_dir / "web-empty.png",
        "text=No page views in this period.",
    )
    page.set_viewport_size({"width": 1280, "height": 800})
