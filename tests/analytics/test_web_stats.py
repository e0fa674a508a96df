"""The web analytics queries: for a generated dataset sent through capture, every tile and
every table row (each breakdownBy, two date ranges, compare on) equals the oracle's
computation over what was sent, with filters of each type, path cleaning and bots left
out; another project's page views stay out; bad breakdowns and regexes are 400s."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from web_stats_data import BREAKDOWNS, CLEANING, Oracle, expected_rows, rounded, web_events

from server import TOKEN, Server

DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    data: Path = tmp_path_factory.mktemp("webstats") / "data"
    server = Server(data).start()
    other_id, other_token, other_key = server.create_project("Other")
    start = (datetime.now(UTC) - timedelta(days=3)).replace(microsecond=0)
    events = web_events(start)
    for i in range(0, len(events), 25):
        body = {"api_key": TOKEN, "batch": events[i : i + 25]}
        assert httpx.post(server.url + "/batch/", json=body).status_code == 200
    server.wait_ingested(len(events))
    shared = events[0]["properties"]["$session_id"]
    theirs = [
        {
            "event": "$pageview",
            "distinct_id": "theirs",
            "timestamp": events[0]["timestamp"],
            # the session id of one of ours: only the project keeps them apart
            "properties": {"$session_id": shared, "$pathname": "/theirs"},
        }
    ]
    body = {"api_key": other_token, "batch": theirs}
    assert httpx.post(server.url + "/batch/", json=body).status_code == 200
    server.wait_ingested(1, project=other_id, key=other_key)
    first_day = min(datetime.fromisoformat(e["timestamp"]) for e in events).date()
    yield {
        "server": server,
        "oracle": Oracle(events),
        "days": (first_day, first_day + DAY),
        "other": (other_id, other_key),
    }
    server.stop()


def _ranges(sent: dict[str, Any]) -> list[tuple[date, date]]:
    first, second = sent["days"]
    return [(second, second), (first, second)]


def _table(
    sent: dict[str, Any], breakdown: str, first: date, last: date, **extra: Any
) -> dict[str, Any]:
    query = {
        "kind": "WebStatsTableQuery",
        "breakdownBy": breakdown,
        "dateRange": {"date_from": first.isoformat(), "date_to": last.isoformat()},
        "compareFilter": {"compare": True},
        "includeBounceRate": True,
        "limit": 1000,
        **extra,
    }
    answer: dict[str, Any] = sent["server"].query(query)
    return answer


def _check_table(
    sent: dict[str, Any], breakdown: str, first: date, last: date, **extra: Any
) -> dict[str, Any]:
    answer = _table(sent, breakdown, first, last, **extra)
    rules = CLEANING if extra.get("doPathCleaning") else []
    expected = expected_rows(
        sent["oracle"],
        breakdown,
        first,
        last,
        extra.get("properties", []),
        rules,
        bool(extra.get("includeBots")),
    )
    assert rounded(answer["results"]) == rounded(expected), (breakdown, first, last, extra)
    assert answer["hasMore"] is False
    return answer


@pytest.mark.parametrize("breakdown", list(BREAKDOWNS))
def test_every_table_equals_the_oracle(sent: dict[str, Any], breakdown: str) -> None:
    for first, last in _ranges(sent):
        answer = _check_table(sent, breakdown, first, last)
        assert answer["results"], "the range has rows"
        bounce = ["context.columns.bounce_rate"] if breakdown in ("Page", "InitialPage") else []
        assert answer["columns"] == [
            "context.columns.breakdown_value",
            "context.columns.visitors",
            "context.columns.views",
            *bounce,
        ]


FILTERS = [
    [{"key": "$browser", "value": "Chrome", "type": "event", "operator": "exact"}],
    [{"key": "$channel_type", "value": ["Organic Search", "Direct"], "type": "session"}],
    [{"key": "$pathname", "value": ["/pricing", "/"], "type": "event"}],
    [
        {"key": "$entry_pathname", "value": "/", "type": "session"},
        {"key": "$device_type", "value": "Desktop"},
    ],
]


@pytest.mark.parametrize("properties", FILTERS)
def test_filters_keep_what_the_oracle_keeps(
    sent: dict[str, Any], properties: list[dict[str, Any]]
) -> None:
    for first, last in _ranges(sent):
        for breakdown in ("Page", "InitialPage", "InitialChannelType", "Browser"):
            _check_table(sent, breakdown, first, last, properties=properties)
        _check_overview(sent, first, last, properties)


def _check_overview(
    sent: dict[str, Any], first: date, last: date, properties: list[dict[str, Any]], **extra: Any
) -> None:
    oracle: Oracle = sent["oracle"]
    bots = bool(extra.get("includeBots"))
    query = {
        "kind": "WebOverviewQuery",
        "dateRange": {"date_from": first.isoformat(), "date_to": last.isoformat()},
        "properties": properties,
        **extra,
    }
    items = sent["server"].query(query)["results"]
    length = last - first + DAY
    value = oracle.overview(first, last, properties, bots)
    previous = oracle.overview(first - length, last - length, properties, bots)
    assert value[2], "the range has sessions"
    for item, v, p in zip(items, value, previous, strict=True):
        assert item["value"] == pytest.approx(v), (item, properties)
        assert item["previous"] == pytest.approx(p), (item, properties)
        change = None if v is None or not p else round(100 * (v - p) / p)
        assert item["changeFromPreviousPct"] == change, item


def test_overview_equals_the_oracle(sent: dict[str, Any]) -> None:
    for first, last in _ranges(sent):
        _check_overview(sent, first, last, [])


def test_bots_are_left_out_unless_asked_for(sent: dict[str, Any]) -> None:
    first, second = sent["days"]
    default = _check_table(sent, "Browser", first, second)
    assert "Googlebot" not in [row[0] for row in default["results"]]
    with_bots = _check_table(sent, "Browser", first, second, includeBots=True)
    assert "Googlebot" in [row[0] for row in with_bots["results"]]
    _check_table(sent, "Page", first, second, includeBots=True)
    _check_overview(sent, first, second, [], includeBots=True)
    _check_overview(sent, first, second, [])


def test_path_cleaning_rewrites_paths_in_order(sent: dict[str, Any]) -> None:
    server: Server = sent["server"]
    with server.api() as api:
        changed = api.patch("/api/projects/1/", json={"path_cleaning_filters": CLEANING})
        assert changed.status_code == 200, changed.text
        assert changed.json()["path_cleaning_filters"] == CLEANING
        assert api.get("/api/projects/1/").json()["path_cleaning_filters"] == CLEANING
    first, second = sent["days"]
    try:
        for breakdown in ("Page", "InitialPage", "ExitPage"):
            _check_table(sent, breakdown, first, second, doPathCleaning=True)
            _check_table(sent, breakdown, first, second)  # without the flag: as sent
        page = _check_table(sent, "Page", first, second, doPathCleaning=True)
        paths = [row[0] for row in page["results"]]
        # the second rule rewrites what the first one wrote: the rules apply in order
        assert "/docs/:id" in paths and "/blog/p" in paths
        assert not any(p.startswith("/docs/") and p[6:].isdigit() for p in paths)
        # a cleaned row's click: the cleaned path equals the row's value
        row = [{"key": "$pathname", "operator": "is_cleaned_path_exact", "value": "/docs/:id"}]
        only = _check_table(sent, "Page", first, second, doPathCleaning=True, properties=row)
        assert [r[0] for r in only["results"]] == ["/docs/:id"]
        _check_overview(sent, first, second, row)
        entry = [dict(row[0], key="$entry_pathname", type="session")]
        _check_table(sent, "InitialPage", first, second, doPathCleaning=True, properties=entry)
    finally:
        with server.api() as api:
            api.patch("/api/projects/1/", json={"path_cleaning_filters": []})


def test_limit_cuts_the_rows_and_says_there_are_more(sent: dict[str, Any]) -> None:
    first, second = sent["days"]
    full = _table(sent, "Page", first, second)["results"]
    assert len(full) > 2
    cut = _table(sent, "Page", first, second, limit=2)
    assert cut["results"] == full[:2] and cut["hasMore"] is True and cut["limit"] == 2


def test_compare_off_leaves_previous_null(sent: dict[str, Any]) -> None:
    second = sent["days"][1]
    answer = _table(sent, "Browser", second, second, compareFilter={"compare": False})
    expected = expected_rows(sent["oracle"], "Browser", second, second, [], [])
    current = [r for r in expected if r[2][0] > 0]
    assert current, "the day has rows"
    assert answer["results"] == [[r[0], [r[1][0], None], [r[2][0], None]] for r in current]


def test_another_projects_page_views_stay_out(sent: dict[str, Any]) -> None:
    other_id, other_key = sent["other"]
    server: Server = sent["server"]
    first, second = sent["days"]
    query = {
        "kind": "WebStatsTableQuery",
        "breakdownBy": "Page",
        "dateRange": {"date_from": first.isoformat(), "date_to": second.isoformat()},
    }
    with server.api(other_key) as api:
        theirs = api.post(f"/api/projects/{other_id}/query/", json={"query": query}).json()
        assert theirs["results"] == [["/theirs", [1, None], [1, None]]]
        refused = api.post("/api/projects/1/query/", json={"query": query})
        assert refused.status_code == 403  # a project the key may not see (test_auth.py)
    ours = [row[0] for row in _table(sent, "Page", first, second)["results"]]
    assert "/theirs" not in ours


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"breakdownBy": "Planet"}, "invalid_breakdown", "Unknown breakdownBy"),
    ({}, "invalid_query", "breakdownBy"),
    ({"breakdownBy": "Page", "limit": 0}, "invalid_query", "limit"),
    (
        {"breakdownBy": "Page", "properties": [{"key": "$mood", "type": "session"}]},
        "invalid_filter",
        "Unknown session property",
    ),
    (
        {"breakdownBy": "Page", "properties": [{"key": "x", "type": "cohort"}]},
        "invalid_filter",
        "type",
    ),
    (
        {
            "breakdownBy": "Page",
            "properties": [{"key": "$pathname", "operator": "regex", "value": "(?<=a)b"}],
        },
        "invalid_regex",
        "RE2",
    ),
]


@pytest.mark.parametrize(("fields", "code", "words"), BAD)
def test_bad_queries_are_400s_with_their_code(
    sent: dict[str, Any], fields: dict[str, Any], code: str, words: str
) -> None:
    with sent["server"].api() as api:
        query = {"kind": "WebStatsTableQuery", **fields}
        response = api.post("/api/projects/1/query/", json={"query": query})
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == code and words in body["error"], body


@pytest.mark.parametrize(
    "rules",
    [[{"regex": "(?<=x)y", "alias": "z"}], [{"regex": "a(", "alias": "b"}]],
)
def test_a_bad_path_cleaning_regex_is_refused(sent: dict[str, Any], rules: Any) -> None:
    with sent["server"].api() as api:
        response = api.patch("/api/projects/1/", json={"path_cleaning_filters": rules})
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_regex"
        assert api.get("/api/projects/1/").json()["path_cleaning_filters"] == []


def test_trends_take_the_same_session_filters(sent: dict[str, Any]) -> None:
    """The screen's visitors-over-time chart is a TrendsQuery with the page's filters."""
    first, second = sent["days"]
    oracle: Oracle = sent["oracle"]
    channel = {"key": "$channel_type", "value": "Direct", "type": "session"}
    query = {
        "kind": "TrendsQuery",
        "series": [{"kind": "EventsNode", "event": "$pageview", "math": "total"}],
        "dateRange": {"date_from": first.isoformat(), "date_to": second.isoformat()},
        "interval": "day",
        "properties": [channel],
    }
    (series,) = sent["server"].query(query)["results"]
    expected = [
        e
        for e in oracle.events
        if e["event"] == "$pageview"
        and (session := e["properties"].get("$session_id"))
        and oracle.sessions[session]["$channel_type"] == "Direct"
        and first <= datetime.fromisoformat(e["timestamp"]).date() <= second
    ]
    assert expected and sum(series["data"]) == len(expected)
