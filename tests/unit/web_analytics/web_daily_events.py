"""Events for the pre-aggregated web days' unit tests, the tiles computed from them here,
the tiles the API answers, and a hook around the store's statements."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from hedgerow.event import IngestEvent
from hedgerow.query.core import QueryEnv
from hedgerow.query.web_overview import run_web_overview_query
from hedgerow.store.chdb import ChdbEventStore

NOW = datetime(2026, 5, 6, 12, tzinfo=UTC)  # the chore's clock: May 2-5 are complete
TODAY = NOW.date()  # provisional
DAYS = [date(2026, 5, 2) + timedelta(days=n) for n in range(3)]
STEP = timedelta(seconds=20)
TODAYS_A = "todays-visit-of-a"  # begins at 00:01 today
PERSONS = {name: (str(uuid.UUID(int=n + 1)), n + 1) for n, name in enumerate("abcd")}


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def visit(
    day: date, hour: int, person: str, pages: int, minute: int = 0, session: str | None = None
) -> list[IngestEvent]:
    """One session: `pages` page views 20 s apart (one alone is a bounce)."""
    start = datetime.combine(day, time(hour, minute), UTC)
    session = session or str(uuid.uuid4())
    person_id, person_idx = PERSONS[person]
    return [
        IngestEvent(
            1,
            str(uuid.uuid4()),
            "$pageview",
            person,
            {
                "$session_id": session,
                "$current_url": f"https://www.site.io/p{n}",
                "$pathname": f"/p{n}",
                "$host": "www.site.io",
            },
            stamp(start + n * STEP),
            stamp(NOW),
            person_id=person_id,
            person_idx=person_idx,
        )
        for n in range(pages)
    ]


def _sent() -> list[IngestEvent]:
    """Two to four visitors a day, one to three page views each; a and b come every day.
    Today (provisional at `NOW`) has visits of a and c."""
    events: list[IngestEvent] = []
    for n, day in enumerate(DAYS):
        for m, person in enumerate("abcd"[: n + 2]):
            events += visit(day, 8 + m, person, 1 + (n + m) % 3)
    return events + visit(TODAY, 0, "a", 2, minute=1, session=TODAYS_A) + visit(TODAY, 9, "c", 1)


SENT = _sent()


def expected(
    events: list[IngestEvent], first: date, last: date, merged: dict[str, str] | None = None
) -> list[Any]:
    """The five tiles of the days `first` to `last` (as docs/web-analytics.md counts them:
    a page view counts when it and its session's start are in the days): visitors (after
    `merged`: distinct id -> the one it merged into), views, sessions, mean duration (the
    whole session's), bounce rate."""
    renamed = merged or {}
    by_session: dict[str, list[IngestEvent]] = {}
    for e in events:
        by_session.setdefault(e.properties["$session_id"], []).append(e)
    views, durations, bounces = [], [], []
    for session in by_session.values():
        times = sorted(datetime.fromisoformat(e.timestamp) for e in session)
        if not first <= times[0].date() <= last:
            continue
        counted = [e for e in session if date.fromisoformat(e.timestamp[:10]) <= last]
        views += counted
        duration = int((times[-1] - times[0]).total_seconds())
        durations.append(duration)
        bounces.append(len(session) == 1 and duration < 10)
    if not views:
        return [0, 0, 0, None, None]
    return [
        len({renamed.get(e.distinct_id, e.distinct_id) for e in views}),
        len(views),
        len(durations),
        round(sum(durations) / len(durations), 9),
        round(100 * sum(bounces) / len(bounces), 9),
    ]


def tiles(store: ChdbEventStore, first: date, last: date) -> tuple[list[Any], bool]:
    """The tiles the API answers for the days (no comparison), and whether they were read
    from the pre-aggregate."""
    query = {
        "kind": "WebOverviewQuery",
        "dateRange": {"date_from": first.isoformat(), "date_to": last.isoformat()},
        "compareFilter": {"compare": False},
    }
    answer = run_web_overview_query(QueryEnv(store, 1, "UTC"), query)
    values = [
        round(v, 9) if isinstance(v, float) else v
        for v in (item["value"] for item in answer["results"])
    ]
    return values, bool(answer["usedPreAggregatedTables"])


def hook(
    store: ChdbEventStore,
    names: tuple[str, ...],
    after: Callable[[str], None],
    before: Callable[[str], None] | None = None,
) -> None:
    """Run `before(sql)` and `after(sql)` around each statement that the store's methods
    `names` run (not around those the hooks run themselves)."""
    busy = False

    def hooked(original: Callable[..., Any]) -> Callable[..., Any]:
        def run(sql: str, *args: Any, **kwargs: Any) -> Any:
            nonlocal busy
            if busy:
                return original(sql, *args, **kwargs)
            busy = True
            try:
                if before is not None:
                    before(sql)
                result = original(sql, *args, **kwargs)
                after(sql)
            finally:
                busy = False
            return result

        return run

    for name in names:
        setattr(store, name, hooked(getattr(store, name)))
