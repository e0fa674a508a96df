"""ActorsQuery: the persons behind sample points of every insight kind, over the dataset of
test_insights.py (persons that merge, New York time), each compared with the persons the
plain-Python reference finds there, and counted against the aggregate's own number."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import test_insights
from analytics_data import Event, Project
from insights_reference import Intervals, lifecycle_persons, retention_persons, stickiness_persons
from test_insights import NOT_SAFARI, NULL, TZ, _is, _range, _today

# The dataset and server of test_insights.py (one server for this module too).
projects = test_insights.projects
main = test_insights.main

FUNNEL_WINDOW = timedelta(days=1)


def _persons_by_distinct_id(events: list[Event]) -> dict[str, int]:
    return {e.distinct_id: e.person for e in events}


def _actors(
    project: Project, source: dict[str, Any], page: int = 50, **extra: Any
) -> list[list[Any]]:
    """Every row, read page by page."""
    rows: list[list[Any]] = []
    while True:
        query = {"kind": "ActorsQuery", "source": source, "limit": page, "offset": len(rows)}
        answer = project.query({**query, **extra})
        assert answer["columns"] == ["actor", "event_count"]
        rows += answer["results"]
        if not answer["hasMore"]:
            assert answer["total"] == len(rows)
            return rows


def _numbers(project: Project, rows: list[list[Any]]) -> set[int]:
    """The dataset's person numbers of the actors (each actor's distinct ids agree)."""
    known = _persons_by_distinct_id(project.events)
    found = []
    for actor, _count in rows:
        numbers = {known[d] for d in actor["distinct_ids"]}
        assert len(numbers) == 1, actor["distinct_ids"]
        found.append(numbers.pop())
    assert len(found) == len(set(found))  # each person once
    return set(found)


def test_trends_point_with_a_breakdown(main: Project) -> None:
    last = _today() - timedelta(days=1)
    first = last - timedelta(days=20)
    trends = {
        "kind": "TrendsQuery",
        "series": [{"event": "purchase"}, {"event": "$pageview", "math": "dau"}],
        "interval": "day",
        "dateRange": _range(first, last),
        "breakdownFilter": {"breakdown": "$browser"},
    }
    results = main.query(trends)["results"]
    span = Intervals(first, last, "day", TZ)
    checked = 0
    for result in [r for r in results if r["action"]["order"] == 1][:3]:
        browser = result["breakdown_value"]
        for k in [k for k, v in enumerate(result["data"]) if v][:2]:
            source = {"kind": "InsightActorsQuery", "source": trends, "series": 1}
            source |= {"day": result["days"][k], "breakdown": browser}
            rows = _actors(main, source)
            seen: dict[int, int] = {}
            for e in main.events:
                if (
                    _is("$pageview")(e)
                    and span.inside(e)
                    and span.index(e) == k
                    and e.properties.get("$browser") == browser
                ):
                    seen[e.person] = seen.get(e.person, 0) + 1
            assert _numbers(main, rows) == set(seen)
            assert len(rows) == result["data"][k]
            known = _persons_by_distinct_id(main.events)
            counts = {known[a["distinct_ids"][0]]: n for a, n in rows}
            assert counts == seen
            assert [n for _, n in rows] == sorted(counts.values(), reverse=True)
            checked += 1
    assert checked >= 5


def _furthest(events: list[Event], first: datetime, last: datetime) -> dict[int, int]:
    """Ordered funnel $pageview -> purchase: each entering person's furthest step (1 or 2)."""
    times: dict[int, list[tuple[datetime, str]]] = {}
    for e in events:
        if e.event in ("$pageview", "purchase") and first <= e.timestamp <= last:
            times.setdefault(e.person, []).append((e.timestamp, e.event))
    furthest = {}
    for person, found in times.items():
        views = [t for t, name in found if name == "$pageview"]
        buys = [t for t, name in found if name == "purchase"]
        if views:
            reached = any(v < b <= v + FUNNEL_WINDOW for v in views for b in buys)
            furthest[person] = 2 if reached else 1
    return furthest


def test_funnel_converted_and_dropped(main: Project) -> None:
    last = _today() - timedelta(days=1)
    first = last - timedelta(days=40)
    funnel = {
        "kind": "FunnelsQuery",
        "series": [{"event": "$pageview"}, {"event": "purchase"}],
        "dateRange": _range(first, last),
        "funnelsFilter": {"funnelWindowInterval": 1, "funnelWindowIntervalUnit": "day"},
    }
    steps = main.query(funnel)["results"]
    span = Intervals(first, last, "day", TZ)
    start, end = span.start_hour, span.end.astimezone(UTC)
    furthest = _furthest(main.events, start, end - timedelta(microseconds=1))
    for step, wanted in [(1, {1, 2}), (2, {2}), (-2, {1})]:
        source = {"kind": "FunnelsActorsQuery", "source": funnel, "funnelStep": step}
        rows = _actors(main, source)
        assert _numbers(main, rows) == {p for p, k in furthest.items() if k in wanted}, step
        count = steps[step - 1]["count"] if step > 0 else steps[0]["count"] - steps[1]["count"]
        assert len(rows) == count
    assert 0 < steps[1]["count"] < steps[0]["count"]


def test_funnel_step_of_a_breakdown_group(main: Project) -> None:
    last = _today() - timedelta(days=1)
    first = last - timedelta(days=40)
    funnel = {
        "kind": "FunnelsQuery",
        "series": [{"event": "$pageview"}, {"event": "purchase"}],
        "dateRange": _range(first, last),
        "funnelsFilter": {"funnelWindowInterval": 1, "funnelWindowIntervalUnit": "day"},
        "breakdownFilter": {"breakdown": "$browser"},
    }
    groups = main.query(funnel)["results"]
    span = Intervals(first, last, "day", TZ)
    start, end = span.start_hour, span.end.astimezone(UTC) - timedelta(microseconds=1)
    furthest = _furthest(main.events, start, end)
    entry: dict[int, str] = {}
    for e in main.events:  # in time order: the browser of each person's first page view
        if e.event == "$pageview" and start <= e.timestamp <= end:
            entry.setdefault(e.person, str(e.properties.get("$browser")))
    for steps in groups[:2]:
        browser = steps[0]["breakdown_value"]
        source = {"kind": "FunnelsActorsQuery", "source": funnel, "funnelStep": 2}
        rows = _actors(main, {**source, "funnelStepBreakdown": browser})
        wanted = {p for p, k in furthest.items() if k == 2 and entry[p] == browser}
        assert _numbers(main, rows) == wanted
        assert len(rows) == steps[1]["count"] > 0


def test_retention_cells(main: Project) -> None:
    last = _today() - timedelta(days=1)
    first = last - timedelta(days=70)
    retention = {
        "kind": "RetentionQuery",
        "retentionFilter": {
            "targetEntity": {"id": "$pageview", "type": "events", "properties": NOT_SAFARI},
            "returningEntity": {"id": "purchase", "type": "events"},
            "period": "Week",
            "totalIntervals": 6,
        },
        "dateRange": _range(first, last),
    }
    rows = main.query(retention)["results"]
    span = Intervals(first, last, "week", TZ)
    cells = retention_persons(
        main.events, _is("$pageview", NOT_SAFARI), _is("purchase"), span, 6, False
    )[""]
    for cohort, period in [(0, 0), (1, 2), (3, 1), (5, 3)]:
        source = {"kind": "InsightActorsQuery", "source": retention}
        source |= {"interval": cohort, "period": period}
        actors = _actors(main, source)
        assert _numbers(main, actors) == cells.get((cohort, period), set())
        assert len(actors) == rows[cohort]["values"][period]["count"] > 0


def test_retention_cell_of_a_breakdown_value(main: Project) -> None:
    last = _today() - timedelta(days=1)
    first = last - timedelta(days=60)
    retention = {
        "kind": "RetentionQuery",
        "retentionFilter": {"period": "Week", "totalIntervals": 5},
        "dateRange": _range(first, last),
        "breakdownFilter": {"breakdown": "tier", "breakdown_type": "person"},
    }
    rows = main.query(retention)["results"]
    span = Intervals(first, last, "week", TZ)
    match = _is("$pageview")
    grouped = retention_persons(
        main.events,
        match,
        match,
        span,
        5,
        False,
        group=lambda e: str(e.person_properties.get("tier") or NULL),
    )
    for tier in ("gold", "silver"):
        cohort_rows = [r for r in rows if r["breakdown_value"] == tier]
        for cohort, period in [(1, 0), (2, 1)]:
            source = {"kind": "InsightActorsQuery", "source": retention, "breakdown": tier}
            actors = _actors(main, {**source, "interval": cohort, "period": period})
            assert _numbers(main, actors) == grouped[tier].get((cohort, period), set())
            assert len(actors) == cohort_rows[cohort]["values"][period]["count"] > 0


def test_trends_point_of_the_previous_period(main: Project) -> None:
    last = _today() - timedelta(days=1)
    first = last - timedelta(days=6)
    trends = {
        "kind": "TrendsQuery",
        "series": [{"event": "$pageview", "math": "dau"}],
        "dateRange": _range(first, last),
        "compareFilter": {"compare": True},
    }
    previous = next(r for r in main.query(trends)["results"] if r["compare_label"] == "previous")
    k = previous["data"].index(max(previous["data"]))
    source = {"kind": "InsightActorsQuery", "source": trends, "compare": "previous"}
    actors = _actors(main, {**source, "day": previous["days"][k]})
    day = date.fromisoformat(previous["days"][k])
    expected = {
        e.person
        for e in main.events
        if e.event == "$pageview" and e.timestamp.astimezone(TZ).date() == day
    }
    assert _numbers(main, actors) == expected and len(actors) == previous["data"][k] > 0


def test_lifecycle_buckets(main: Project) -> None:
    last = _today()
    first = last - timedelta(days=30)
    query = {
        "kind": "LifecycleQuery",
        "series": [{"event": "$pageview"}],
        "interval": "day",
        "dateRange": _range(first, last),
    }
    results = {r["status"]: r for r in main.query(query)["results"]}
    span = Intervals(first, last, "day", TZ)
    buckets = lifecycle_persons(main.events, _is("$pageview"), span)
    for status, result in results.items():
        for k in [k for k, v in enumerate(result["data"]) if v][:2]:
            source = {"kind": "InsightActorsQuery", "source": query}
            source |= {"day": result["days"][k], "status": status}
            actors = _actors(main, source)
            assert _numbers(main, actors) == buckets[(status, k)]
            assert len(actors) == abs(result["data"][k])


def test_stickiness_bars(main: Project) -> None:
    last = _today() - timedelta(days=2)
    first = last - timedelta(days=45)
    query = {
        "kind": "StickinessQuery",
        "series": [{"event": "purchase"}, {"event": "$pageview", "properties": NOT_SAFARI}],
        "interval": "day",
        "dateRange": _range(first, last),
    }
    data = main.query(query)["results"][1]["data"]
    span = Intervals(first, last, "day", TZ)
    bars = stickiness_persons(main.events, _is("$pageview", NOT_SAFARI), span)
    days = [k + 1 for k, v in enumerate(data) if v][:3]
    assert len(days) == 3
    for day in days:
        source = {"kind": "InsightActorsQuery", "source": query, "series": 1, "day": day}
        actors = _actors(main, source)
        assert _numbers(main, actors) == bars.get(day, set())
        assert len(actors) == data[day - 1]


def test_search_and_isolation(projects: tuple[Project, Project]) -> None:
    main, other = projects
    last = _today()
    query = {
        "kind": "StickinessQuery",
        "series": [{"event": "$pageview"}],
        "interval": "month",
        "dateRange": _range(last - timedelta(days=120), last),
    }
    data = main.query(query)["results"][0]["data"]
    source = {"kind": "InsightActorsQuery", "source": query, "day": data.index(max(data)) + 1}
    everyone = _actors(main, source)
    assert len(everyone) > 3
    assert _actors(main, source, page=2) == everyone  # pages follow each other
    found = _actors(main, source, search="USER-4")  # a distinct id, any case
    assert {a["distinct_ids"][0] for a, _ in found} <= {"user-4", "anon-4"} and found
    theirs = _actors(other, source)
    assert _numbers(other, theirs) <= {1, 4}
    assert {a["id"] for a, _ in theirs}.isdisjoint({a["id"] for a, _ in everyone})


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ({"kind": "FunnelsActorsQuery", "funnelStep": 0}, "funnelStep"),
        ({"kind": "FunnelsActorsQuery", "funnelStep": 3}, "funnelStep"),
        ({"kind": "InsightActorsQuery", "day": "1999-01-01"}, "day"),
    ],
)
def test_bad_points_are_400(main: Project, source: dict[str, Any], words: str) -> None:
    inner: dict[str, Any] = {"kind": "TrendsQuery", "series": [{"event": "$pageview"}]}
    if source["kind"] == "FunnelsActorsQuery":
        inner = {"kind": "FunnelsQuery", "series": [{"event": "$pageview"}, {"event": "x"}]}
    answer = main.query({"kind": "ActorsQuery", "source": {**source, "source": inner}}, 400)
    assert answer["code"] == "invalid_query" and words in answer["error"]
