"""Issue 19's end-to-end check of web analytics: a dataset sent through capture (visits by
the real posthog-js and hedgerow.js in Chromium, web_visits.py; sessions through /batch/
with addresses the GeoIP database places, web_dataset.py), then every tile of
WebOverviewQuery and every row of WebStatsTableQuery, for each of the 14 breakdowns and two
date ranges, each beside its previous period, equals web_oracle.py's computation over the
events as sent (one request is sent twice: each uuid counts once; one session's first
event comes last). The oracle does not use the product's code (only the channel tables,
which are data, and the GeoIP database file).

The browser visits' events are the oracle's as the SDKs sent them: read back once every
request is answered, then used for what a browser sends (event, ids, time, URL, referrer,
UTM values, device); their place is the oracle's own lookup of `$ip` (127.0.0.1 here: none).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser
from web_dataset import IPS, api_events, batches, is_bot
from web_oracle import BREAKDOWNS, Places, WebOracle
from web_visits import VISITS, Visit, run_visit

from browser_site import Site
from server import TOKEN, Server

DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory, chromium: Browser) -> Iterator[dict[str, Any]]:
    server = Server(tmp_path_factory.mktemp("weboracle") / "data").start()
    site = Site(server)
    places = Places()
    try:
        events = api_events(datetime.now(UTC))
        requests = batches(events)
        for batch in requests[:-1]:
            body = {"api_key": TOKEN, "batch": batch}
            assert httpx.post(server.url + "/batch/", json=body).status_code == 200
        server.wait_ingested(sum(len(batch) for batch in requests[:-1]))
        visitors = {run_visit(chromium, site.url, server, visit): visit for visit in VISITS}
        body = {"api_key": TOKEN, "batch": requests[-1]}
        assert httpx.post(server.url + "/batch/", json=body).status_code == 200
        server.wait_ingested(server.status()["received"])
        browser_events = [
            {key: e[key] for key in ("event", "distinct_id", "uuid", "timestamp", "properties")}
            for e in server.events()
            if e["distinct_id"] in visitors
        ]
        today = datetime.now(UTC).date()
        yield {
            "server": server,
            "oracle": WebOracle(events + browser_events, places, is_bot),
            "visitors": visitors,
            "browser_events": browser_events,
            "ranges": [(today, today), (today - DAY, today)],
            "places": places,
        }
    finally:
        site.close()
        places.close()
        server.stop()


def test_the_browsers_sent_what_the_visits_did(sent: dict[str, Any]) -> None:
    """The dataset is what it is meant to be: each visit one session entered on its landing
    page with its referrer, UTM values and channel; the headless one flagged as a bot."""
    oracle: WebOracle = sent["oracle"]
    visitors: dict[str, Visit] = sent["visitors"]
    assert len(set(visitors)) == len(VISITS)
    for distinct_id, visit in visitors.items():
        mine = [e for e in sent["browser_events"] if e["distinct_id"] == distinct_id]
        sessions = {e["properties"].get("$session_id") for e in mine}
        assert len(sessions) == 1 and None not in sessions, visit
        first = min(mine, key=lambda e: e["timestamp"])
        landing_path = f"/{visit.sdk}/{visit.landing.split('?')[0]}"
        assert (first["event"], first["properties"]["$pathname"]) == ("$pageview", landing_path)
        assert first["properties"]["$referring_domain"] == visit.referring_domain, visit
        for key, value in visit.landing_values.items():
            assert first["properties"][key] == value, (visit, key)
        session = oracle.sessions[sessions.pop()]
        assert session.values["channel"] == visit.channel, visit
        # The server flags what the oracle takes for a bot's, event by event. (Under
        # Playwright's user agent override, Chromium's `navigator.userAgent` is its own
        # again while a page hides: hedgerow.js, which reads it for each event, sends
        # HeadlessChrome's with `$pageleave`; posthog-js read it once at load.)
        for e in mine:
            assert e["properties"].get("$virt_is_bot") == (True if is_bot(e) else None), e
        views = [e for e in mine if e["event"] == "$pageview"]
        assert {is_bot(e) for e in views} == {visit.agent is None}, visit
    bounces = {s.is_bounce for s in oracle.sessions.values()}
    assert {True, False, None} <= bounces
    channels = {s.values["channel"] for s in oracle.sessions.values()}
    assert len(channels) >= 14, channels
    for ip in IPS[:5]:
        assert sent["places"].of(ip), f"{ip} is not placed by the database"


def _query(sent: dict[str, Any], query: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = sent["server"].query(query)
    return answer


def _date_range(first: date, last: date) -> dict[str, str]:
    return {"date_from": first.isoformat(), "date_to": last.isoformat()}


def _check_overview(sent: dict[str, Any], first: date, last: date, bots: bool = False) -> None:
    oracle: WebOracle = sent["oracle"]
    query = {"kind": "WebOverviewQuery", "dateRange": _date_range(first, last)}
    if bots:
        query["includeBots"] = True
    items = _query(sent, query)["results"]
    length = last - first + DAY
    value = oracle.overview(first, last, bots)
    previous = oracle.overview(first - length, last - length, bots)
    keys = ["visitors", "views", "sessions", "session duration", "bounce rate"]
    assert [item["key"] for item in items] == keys
    assert value[2], "the range has sessions"
    for item, v, p in zip(items, value, previous, strict=True):
        assert item["value"] == pytest.approx(v), (item, first, last)
        assert item["previous"] == pytest.approx(p), (item, first, last)
        change = None if v is None or not p else round(100 * (v - p) / p)
        assert item["changeFromPreviousPct"] == change, item


def _rounded(value: Any) -> Any:
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(value, 9) if isinstance(value, float) else value


def _check_table(
    sent: dict[str, Any], breakdown: str, first: date, last: date, bots: bool = False
) -> list[list[Any]]:
    query = {
        "kind": "WebStatsTableQuery",
        "breakdownBy": breakdown,
        "dateRange": _date_range(first, last),
        "compareFilter": {"compare": True},
        "includeBounceRate": True,
        "includeBots": bots,
        "limit": 1000,
    }
    answer = _query(sent, query)
    expected = sent["oracle"].rows(breakdown, first, last, bots)
    assert _rounded(answer["results"]) == _rounded(expected), (breakdown, first, last, bots)
    assert answer["hasMore"] is False
    rows: list[list[Any]] = answer["results"]
    return rows


@pytest.mark.parametrize("which", ["today", "yesterday and today"])
def test_every_tile_equals_the_oracle(sent: dict[str, Any], which: str) -> None:
    first, last = sent["ranges"][0 if which == "today" else 1]
    _check_overview(sent, first, last)


@pytest.mark.parametrize("breakdown", list(BREAKDOWNS))
def test_every_table_row_equals_the_oracle(sent: dict[str, Any], breakdown: str) -> None:
    for first, last in sent["ranges"]:
        _check_table(sent, breakdown, first, last)
    first, last = sent["ranges"][1]
    assert sent["oracle"].rows(breakdown, first, last), f"{breakdown}: the range has rows"


def test_bots_count_only_when_asked_for(sent: dict[str, Any]) -> None:
    first, last = sent["ranges"][1]
    oracle: WebOracle = sent["oracle"]
    assert oracle.overview(first, last, True)[1] > oracle.overview(first, last, False)[1]
    _check_overview(sent, first, last, bots=True)
    for breakdown in ("Page", "Browser", "InitialChannelType", "Country"):
        _check_table(sent, breakdown, first, last, bots=True)
