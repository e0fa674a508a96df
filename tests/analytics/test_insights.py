"""RetentionQuery, LifecycleQuery and StickinessQuery over the generated dataset (persons that
merge through `$identify`, ~four months of events across DST changes and month ends), sent
through capture into a project in New York time, checked cell by cell against
insights_reference.py; and a second project that sees only its own events."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from analytics_data import Event, Project, generate, matches, send
from insights_reference import Intervals, lifecycle, retention, stickiness, weighted_mean

from server_now import asked_now

from server import Server

ZONE = "America/New_York"
TZ = ZoneInfo(ZONE)
NULL = "$$_posthog_breakdown_null_$$"
NOT_SAFARI = [{"key": "$browser", "value": "Safari", "operator": "is_not"}]
PRICED = [{"key": "price", "value": 100, "operator": "gte"}]


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Project, Project]]:
    server = Server(tmp_path_factory.mktemp("insights") / "data").start()
    now = datetime.now(UTC)
    events = sorted(generate(now) + _newcomers(now), key=lambda e: e.timestamp)
    main_id, main_token, main_key = server.create_project("Main", ZONE)
    other_id, other_token, other_key = server.create_project("Other", ZONE)
    # The other project holds the same kind of events, for a few of the same distinct ids.
    few = [e for e in events if e.person in (1, 4)]
    send(server, main_token, events)
    send(server, other_token, few)
    server.wait_ingested(len(events), project=main_id, key=main_key, timeout=120)
    server.wait_ingested(len(few), project=other_id, key=other_key, timeout=120)
    yield Project(server, main_id, main_key, events), Project(server, other_id, other_key, few)
    server.stop()


def _newcomers(now: datetime) -> list[Event]:
    """Persons whose first event is in the last five weeks (so some are new in each range),
    one of them browsing anonymously first and merged by `$identify`."""
    rng = random.Random(11)
    events = []
    for number in range(100, 108):
        joined = now - timedelta(days=rng.uniform(2, 35))
        span = (now - joined).total_seconds()
        times = sorted(joined + timedelta(seconds=rng.random() * span) for _ in range(25))
        times[0] = joined
        person = {"tier": "late"}
        for at in times:
            anonymous = number == 100 and at < times[12]
            distinct_id = f"late-anon-{number}" if anonymous else f"late-{number}"
            name = rng.choice(["$pageview", "$pageview", "purchase"])
            props = {"$browser": rng.choice(["Chrome", "Safari"]), "price": rng.randrange(300)}
            event = Event(name, distinct_id, at, number, props)
            if not anonymous:
                event.set_properties = event.person_properties = person
            events.append(event)
        if number == 100:
            identify = {"$anon_distinct_id": f"late-anon-{number}"}
            events.append(Event("$identify", f"late-{number}", times[12], number, identify))
    return events


@pytest.fixture
def main(projects: tuple[Project, Project]) -> Project:
    return projects[0]


def _today() -> date:
    return datetime.now(UTC).astimezone(TZ).date()


def _is(event_name: str, properties: list[dict[str, Any]] | None = None) -> Any:
    def match(event: Event) -> bool:
        if event.event != event_name:
            return False
        return all(
            matches(event.properties.get(p["key"]), p["operator"], p["value"])
            for p in properties or []
        )

    return match


def _range(first: date, last: date) -> dict[str, str]:
    return {"date_from": first.isoformat(), "date_to": last.isoformat()}


# -- stickiness -----------------------------------------------------------------------------


@pytest.mark.parametrize(("interval", "days"), [("day", 45), ("week", 70), ("month", 120)])
def test_stickiness_bars(main: Project, interval: str, days: int) -> None:
    last = _today() - timedelta(days=2)
    first = last - timedelta(days=days)
    series = [
        {"kind": "EventsNode", "event": "$pageview", "properties": NOT_SAFARI},
        {"kind": "EventsNode", "event": "purchase", "custom_name": "Buys"},
    ]
    answer = main.query(
        {
            "kind": "StickinessQuery",
            "series": series,
            "interval": interval,
            "dateRange": _range(first, last),
        }
    )
    span = Intervals(first, last, interval, TZ)
    expected = [
        stickiness(main.events, _is("$pageview", NOT_SAFARI), span),
        stickiness(main.events, _is("purchase"), span),
    ]
    assert [r["data"] for r in answer["results"]] == expected
    assert answer["results"][1]["label"] == "Buys"
    assert answer["results"][0]["days"] == list(range(1, span.size + 1))
    assert answer["results"][0]["labels"][:2] == [f"1 {interval}", f"2 {interval}s"]
    assert sum(expected[0]) > 5 and any(expected[0][1:])  # the data is not trivial


def test_stickiness_hours_across_dst(main: Project) -> None:
    """Hours of the days around the last DST change in the data, with a global filter."""
    last = _today() - timedelta(days=1)
    first = last - timedelta(days=3)
    answer = main.query(
        {
            "kind": "StickinessQuery",
            "series": [{"event": "$pageview"}],
            "interval": "hour",
            "dateRange": _range(first, last),
            "properties": PRICED,
        }
    )
    span = Intervals(first, last, "hour", TZ)
    match = _is("$pageview", PRICED)
    assert answer["results"][0]["data"] == stickiness(main.events, match, span)


# -- lifecycle ------------------------------------------------------------------------------


@pytest.mark.parametrize(("interval", "days"), [("day", 40), ("week", 84), ("month", 115)])
def test_lifecycle_buckets(main: Project, interval: str, days: int) -> None:
    last = _today()
    first = last - timedelta(days=days)
    answer = main.query(
        {
            "kind": "LifecycleQuery",
            "series": [{"kind": "EventsNode", "event": "$pageview", "properties": NOT_SAFARI}],
            "interval": interval,
            "dateRange": _range(first, last),
        }
    )
    span = Intervals(first, last, interval, TZ)
    expected = lifecycle(main.events, _is("$pageview", NOT_SAFARI), span)
    got = {r["status"]: r["data"] for r in answer["results"]}
    assert list(got) == ["new", "returning", "resurrecting", "dormant"]
    assert got == expected
    occurring = sum(1 for v in expected.values() if any(v))
    assert occurring >= (3 if interval == "month" else 4)  # the data is not trivial


def test_lifecycle_of_an_action(main: Project) -> None:
    with main.server.api(main.key) as api:
        created = api.post(
            f"/api/projects/{main.id}/actions/",
            json={"name": "big buy", "steps": [{"event": "purchase", "properties": PRICED}]},
        )
    assert created.status_code == 201, created.text
    last = _today() - timedelta(days=3)
    first = last - timedelta(days=50)
    answer = main.query(
        {
            "kind": "LifecycleQuery",
            "series": [{"kind": "ActionsNode", "id": created.json()["id"]}],
            "interval": "week",
            "dateRange": _range(first, last),
        }
    )
    span = Intervals(first, last, "week", TZ)
    expected = lifecycle(main.events, _is("purchase", PRICED), span)
    assert {r["status"]: r["data"] for r in answer["results"]} == expected
    assert answer["results"][0]["label"] == "big buy - new"


# -- retention ------------------------------------------------------------------------------

RETENTION_CASES = [
    ("Day", "retention_recurring", 20, 10),
    ("Day", "retention_first_time", 30, 8),
    ("Week", "retention_recurring", 70, 6),
    ("Week", "retention_first_time", 100, 12),
    ("Month", "retention_recurring", 110, 4),
    ("Month", "retention_first_time", 110, 4),
]


@pytest.mark.parametrize(("period", "kind", "days", "total"), RETENTION_CASES)
def test_retention_cells(main: Project, period: str, kind: str, days: int, total: int) -> None:
    last = _today() - timedelta(days=1)
    first = last - timedelta(days=days)
    span = Intervals(first, last, period.lower(), TZ)
    cells = retention(
        main.events,
        _is("$pageview", NOT_SAFARI),
        _is("purchase"),
        span,
        total,
        kind == "retention_first_time",
    ).get("", {})
    query = {
        "kind": "RetentionQuery",
        "retentionFilter": {
            "targetEntity": {"id": "$pageview", "type": "events", "properties": NOT_SAFARI},
            "returningEntity": {"id": "purchase", "type": "events"},
            "retentionType": kind,
            "period": period,
            "totalIntervals": total,
        },
        "dateRange": _range(first, last),
    }
    # The means count the periods over when the server answered: that instant's.
    answer, expected = asked_now(
        lambda: main.query(query), lambda now: weighted_mean(cells, span, total, now)
    )
    _check_rows(answer["results"], cells, span, total)
    assert answer["means"][0]["data"] == pytest.approx(expected)
    assert sum(cells.values()) > sum(cells.get((c, 0), 0) for c in range(span.size))


def _check_rows(
    rows: list[dict[str, Any]], cells: dict[tuple[int, int], int], span: Intervals, total: int
) -> None:
    assert len(rows) == span.size
    for cohort, row in enumerate(rows):
        size = cells.get((cohort, 0), 0)
        assert row["people_count"] == size
        counts = [v["count"] for v in row["values"]]
        periods = min(total, span.size - cohort)
        assert counts == [cells.get((cohort, p), 0) for p in range(periods)], cohort
        for value in row["values"]:
            assert value["percentage"] == pytest.approx(100 * value["count"] / size if size else 0)


def test_retention_last_intervals_and_breakdown(main: Project) -> None:
    """No `date_from`: the last `totalIntervals` weeks; broken down by a person property,
    with the same event as start and return, filtered globally."""
    total = 9
    query = {
        "kind": "RetentionQuery",
        "retentionFilter": {
            "targetEntity": {"id": "$pageview", "type": "events"},
            "returningEntity": {"id": "$pageview", "type": "events"},
            "period": "Week",
            "totalIntervals": total,
            "meanRetentionCalculation": "simple",
        },
        "properties": NOT_SAFARI,
        "breakdownFilter": {"breakdown": "tier", "breakdown_type": "person"},
    }
    # The weeks end with the server's today when it answered.
    answer, today = asked_now(lambda: main.query(query), lambda now: now.astimezone(TZ).date())
    sunday = today - timedelta(days=(today.weekday() + 1) % 7)
    span = Intervals(sunday - timedelta(weeks=total - 1), today, "week", TZ)
    match = _is("$pageview", NOT_SAFARI)
    grouped = retention(
        main.events,
        match,
        match,
        span,
        total,
        False,
        group=lambda e: str(e.person_properties.get("tier") or NULL),
    )
    values = sorted({row["breakdown_value"] for row in answer["results"]})
    assert values == sorted(grouped) and len(values) >= 3
    for value, cells in grouped.items():
        rows = [r for r in answer["results"] if r["breakdown_value"] == value]
        _check_rows(rows, cells, span, total)


# -- isolation ------------------------------------------------------------------------------


def test_each_project_sees_only_its_events(projects: tuple[Project, Project]) -> None:
    main, other = projects
    last = _today()
    first = last - timedelta(days=120)
    query = {
        "kind": "StickinessQuery",
        "series": [{"event": "$pageview"}],
        "interval": "week",
        "dateRange": _range(first, last),
    }
    span = Intervals(first, last, "week", TZ)
    for project in (main, other):
        expected = stickiness(project.events, _is("$pageview"), span)
        assert project.query(query)["results"][0]["data"] == expected
    lifecycle_query = {**query, "kind": "LifecycleQuery"}
    for project in (main, other):
        found = project.query(lifecycle_query)["results"]
        expected = lifecycle(project.events, _is("$pageview"), span)
        assert {r["status"]: r["data"] for r in found} == expected
    retention_query = {"kind": "RetentionQuery", "dateRange": _range(first, last)}
    sizes = [row["people_count"] for row in other.query(retention_query)["results"]]
    assert max(sizes) <= 2
