"""Queries that cannot be answered: a 400 naming what is wrong, before anything runs."""

from __future__ import annotations

from typing import Any

import pytest

from server import Server


def _post(server: Server, query: dict[str, Any]) -> dict[str, Any]:
    with server.api() as api:
        response = api.post("/api/projects/1/query/", json={"query": query})
    assert response.status_code == 400, response.text
    result: dict[str, Any] = response.json()
    return result


BAD_QUERIES: list[tuple[dict[str, Any], str]] = [
    ({"series": [{"event": "x", "math": "weird"}]}, "Unknown math"),
    ({"series": [{"event": "x", "math": "sum"}]}, "math_property"),
    ({"series": [{"event": "x"}], "interval": "minute"}, "Unknown interval"),
    ({"series": [{"event": "x"}], "dateRange": {"date_from": "last tuesday"}}, "is not a date"),
    ({"series": [{"event": "x"}], "dateRange": {"date_from": "-1d", "date_to": "-3d"}}, "before"),
    ({"series": []}, "needs `series`"),
    ({"series": [{"kind": "ActionsNode", "id": 999}]}, "no action 999"),
    (
        {
            "series": [{"event": "x"}],
            "breakdownFilter": {"breakdown": "a", "breakdown_type": "cohort"},
        },
        "Breakdowns are by",
    ),
    ({"series": [{"event": "x"}], "trendsFilter": {"formula": "A +* C"}}, "formula"),
    ({"series": [{"event": "x"}], "trendsFilter": {"formula": "A/B"}}, "no series B"),
    (
        {"series": [{"event": "x"}], "properties": [{"key": "a", "operator": "nearly"}]},
        "Unknown operator",
    ),
    (
        {
            "series": [{"event": "x"}],
            "properties": [{"key": "a", "operator": "regex", "value": "(?=a)"}],
        },
        "regular expression",
    ),
    (
        {"series": [{"event": "x"}], "properties": [{"key": "colour", "type": "element"}]},
        "Element filters take the keys",
    ),
    (
        {
            "series": [{"event": "x"}],
            "properties": [{"key": "selector", "type": "element", "value": "a:hover"}],
        },
        "selector",
    ),
    (
        {"series": [{"event": "x"}], "dateRange": {"date_from": "2020-01-01"}, "interval": "hour"},
        "more than",
    ),
    *(
        (
            {
                "series": [{"event": "x"}],
                "properties": [{"key": "d", "operator": "is_date_after", "value": value}],
            },
            "compares dates",
        )
        for value in (None, "soon", 20261201)
    ),
]


@pytest.mark.parametrize("kind", ["WebStatsTableQuery", "WebOverviewQuery", "EventsQuery"])
def test_a_date_filter_without_a_date_is_400_in_every_kind(server: Server, kind: str) -> None:
    bad = [{"key": "d", "operator": "is_date_before", "type": "event", "value": None}]
    query: dict[str, Any] = {"kind": kind, "properties": bad}
    if kind == "WebStatsTableQuery":
        query["breakdownBy"] = "OS"
    answer = _post(server, query)
    assert answer["code"] == "invalid_filter" and "compares dates" in answer["error"]


@pytest.mark.parametrize(("query", "message"), BAD_QUERIES)
def test_bad_trends_are_400(server: Server, query: dict[str, Any], message: str) -> None:
    answer = _post(server, {"kind": "TrendsQuery", **query})
    assert message in answer["error"] and answer["code"]


def test_unknown_kind_and_bad_timezone(server: Server) -> None:
    answer = _post(server, {"kind": "NoSuchQuery"})
    assert "TrendsQuery" in answer["error"] and "PathsQuery" in answer["error"]
    assert "ActorsQuery" in answer["error"]
    assert _post(server, {"kind": 5})["code"] == "invalid_query"
    with server.api() as api:
        response = api.patch("/api/projects/1/", json={"timezone": "Mars/Olympus"})
    assert response.status_code == 400 and "time zone" in response.json()["error"]


INSIGHT_ERRORS: list[tuple[dict[str, Any], str, str]] = [
    ({"kind": "RetentionQuery", "retentionFilter": {"period": "Year"}}, "period", "invalid_query"),
    (
        {"kind": "RetentionQuery", "retentionFilter": {"retentionType": "retention_forever"}},
        "retentionType",
        "invalid_query",
    ),
    (
        {"kind": "RetentionQuery", "retentionFilter": {"totalIntervals": 0}},
        "totalIntervals",
        "invalid_query",
    ),
    (
        {
            "kind": "RetentionQuery",
            "retentionFilter": {"targetEntity": {"id": 999, "type": "actions"}},
        },
        "no action 999",
        "unknown_action",
    ),
    (
        {
            "kind": "RetentionQuery",
            "retentionFilter": {
                "returningEntity": {"properties": [{"key": "a", "operator": "nearly"}]}
            },
        },
        "Unknown operator",
        "invalid_filter",
    ),
    (
        {"kind": "RetentionQuery", "dateRange": {"date_to": "someday"}},
        "is not a date",
        "invalid_date",
    ),
    (
        {"kind": "LifecycleQuery", "series": [{"event": "a"}, {"event": "b"}]},
        "query.series",
        "invalid_query",
    ),
    ({"kind": "LifecycleQuery", "series": []}, "needs `series`", "invalid_query"),
    (
        {"kind": "LifecycleQuery", "series": [{"event": "a"}], "interval": "minute"},
        "Unknown interval",
        "invalid_query",
    ),
    (
        {"kind": "StickinessQuery", "series": [{"kind": "ActionsNode", "id": 999}]},
        "no action 999",
        "unknown_action",
    ),
    (
        {
            "kind": "StickinessQuery",
            "series": [{"event": "a"}],
            "dateRange": {"date_from": "-2d", "date_to": "-5d"},
        },
        "before",
        "invalid_query",
    ),
]


@pytest.mark.parametrize(("query", "message", "code"), INSIGHT_ERRORS)
def test_bad_insights_are_400(
    server: Server, query: dict[str, Any], message: str, code: str
) -> None:
    answer = _post(server, query)
    assert message in answer["error"] and answer["code"] == code
