"""The pre-aggregated web days against what runs beside them, each interleaving forced
(a hook after a chosen statement, the chore's clock fixed): a query whose days are taken
out while it runs, a query while a day is built again, a day built while its sessions are
still in the store's buffer, and the squash of a merge with the chore building and a query
asking after each of its statements. Every answer equals the tiles computed here from the
events sent (docs/web-analytics.md#pre-aggregated-days)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest

from hedgerow.event import IngestEvent
from hedgerow.persons.store import Override
from hedgerow.query.core import QueryEnv
from hedgerow.query.web_overview import run_web_overview_query
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.web_daily_schema import BUILD_LOCK, forget_days
from hedgerow.web_analytics.daily_chore import WebDailyBuilder

NOW = datetime(2026, 5, 6, 12, tzinfo=UTC)  # the chore's clock: May 2-5 are complete
DAYS = [date(2026, 5, 2) + timedelta(days=n) for n in range(3)]
STEP = timedelta(seconds=20)
PERSONS = {name: (str(uuid.UUID(int=n + 1)), n + 1) for n, name in enumerate("abcd")}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _visit(day: date, hour: int, person: str, pages: int) -> list[IngestEvent]:
    """One session: `pages` page views 20 s apart (one alone is a bounce)."""
    session, start = str(uuid.uuid4()), datetime.combine(day, time(hour), UTC)
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
            _stamp(start + n * STEP),
            _stamp(NOW),
            person_id=person_id,
            person_idx=person_idx,
        )
        for n in range(pages)
    ]


def _sent() -> list[IngestEvent]:
    """Two to four visitors a day, one to three page views each; a and b come every day."""
    events: list[IngestEvent] = []
    for n, day in enumerate(DAYS):
        for m, person in enumerate("abcd"[: n + 2]):
            events += _visit(day, 8 + m, person, 1 + (n + m) % 3)
    return events


SENT = _sent()


def _expected(
    events: list[IngestEvent], first: date, last: date, merged: dict[str, str] | None = None
) -> list[Any]:
    """The five tiles of the page views on the days `first` to `last` (every session here
    lies within a day): visitors (after `merged`: distinct id -> the one it merged into),
    views, sessions, mean duration, bounce rate."""
    renamed = merged or {}
    views = [e for e in events if first <= date.fromisoformat(e.timestamp[:10]) <= last]
    by_session: dict[str, list[IngestEvent]] = {}
    for e in views:
        by_session.setdefault(e.properties["$session_id"], []).append(e)
    if not by_session:
        return [0, 0, 0, None, None]
    durations = []
    for session in by_session.values():
        times = sorted(datetime.fromisoformat(e.timestamp) for e in session)
        durations.append(int((times[-1] - times[0]).total_seconds()))
    bounces = [len(s) == 1 and d < 10 for s, d in zip(by_session.values(), durations, strict=True)]
    return [
        len({renamed.get(e.distinct_id, e.distinct_id) for e in views}),
        len(views),
        len(by_session),
        round(sum(durations) / len(durations), 9),
        round(100 * sum(bounces) / len(bounces), 9),
    ]


def _tiles(store: ChdbEventStore, first: date, last: date) -> tuple[list[Any], bool]:
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


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[ChdbEventStore]:
    """A store holding the events sent, their sessions written and every day built; the
    sessions of later inserts stay buffered until `flush_sessions`."""
    opened = ChdbEventStore(tmp_path / "events.chdb", sessions_flush_seconds=3600)
    try:
        opened.insert(SENT, "sent")
        opened.flush_sessions()
        assert WebDailyBuilder(opened, 1, "UTC").build(NOW) > 0
        yield opened
    finally:
        opened.close()


def _hook(
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


def _build_lock_free() -> bool:
    """Whether the chore's thread could take `BUILD_LOCK` now (a take-out holds it)."""
    free: list[bool] = []

    def attempt() -> None:
        if BUILD_LOCK.acquire(blocking=False):
            BUILD_LOCK.release()
            free.append(True)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return bool(free)


def test_a_day_taken_out_while_a_query_runs_is_read_again(store: ChdbEventStore) -> None:
    """An erasure, retention or squash takes a day out (listing, then rows) after a query
    read the listing and before its statement read the rows."""
    taken: list[str] = []

    def take_out_after_the_listing(sql: str) -> None:
        if "web_daily_days" in sql and "max(build)" in sql and not taken:
            taken.append(sql)
            forget_days(store.run, 1, DAYS[1], DAYS[1])

    _hook(store, ("query",), take_out_after_the_listing)
    tiles, aggregated = _tiles(store, DAYS[0], DAYS[-1])
    assert taken
    assert tiles == _expected(SENT, DAYS[0], DAYS[-1])
    assert aggregated  # the other days are still read from it


def test_a_day_built_again_stays_listed_throughout(store: ChdbEventStore) -> None:
    """A late event makes a day stale; while the chore builds it again, a query of that day
    after each of the build's statements reads the pre-aggregate, before or after."""
    day = DAYS[1]
    late = _visit(day, 20, "d", 2)
    before = _expected(SENT, day, day)
    store.insert(late, "late")
    store.flush_sessions()
    after = _expected([*SENT, *late], day, day)
    seen: list[tuple[str, tuple[list[Any], bool]]] = []

    def ask(sql: str) -> None:
        seen.append((sql, _tiles(store, day, day)))

    _hook(store, ("run",), ask)
    assert WebDailyBuilder(store, 1, "UTC").build(NOW) > 0
    right = ((before, True), (after, True))  # read from the pre-aggregate, stale or built
    assert [(sql, found) for sql, found in seen if found not in right] == []
    assert _tiles(store, day, day) == (after, True)


def test_a_day_built_before_its_sessions_are_written_counts_them(store: ChdbEventStore) -> None:
    """Late events are stored, their sessions still buffered, when the chore runs; the
    store writes the sessions later; the chore runs again."""
    late = [*_visit(DAYS[0], 21, "c", 2), *_visit(DAYS[0], 22, "d", 1)]
    store.insert(late, "late")
    builder = WebDailyBuilder(store, 1, "UTC")
    builder.build(NOW)
    store.flush_sessions()
    builder.build(NOW)
    assert _tiles(store, DAYS[0], DAYS[-1]) == (_expected([*SENT, *late], DAYS[0], DAYS[-1]), True)


def test_a_squash_with_the_chore_around_every_step_counts_a_merge_once(
    store: ChdbEventStore,
) -> None:
    """Person b merges into a; the squash rewrites b's events. Before and after each of its
    statements the chore builds what it finds stale (unless a take-out holds the lock, as
    it would wait) and the tiles of every day count a and b as one visitor."""
    (a_id, a_idx), (b_id, b_idx) = PERSONS["a"], PERSONS["b"]
    store.insert_overrides([Override(1, b_id, a_id, 1, b_idx, a_idx)])
    expected = _expected(SENT, DAYS[0], DAYS[-1], merged={"b": "a"})
    assert expected[0] < _expected(SENT, DAYS[0], DAYS[-1])[0]
    assert _tiles(store, DAYS[0], DAYS[-1]) == (expected, True)
    builder = WebDailyBuilder(store, 1, "UTC")
    seen: list[tuple[str, list[Any]]] = []

    def chore_and_query(sql: str) -> None:
        if _build_lock_free():
            builder.build(NOW)
        seen.append((sql, _tiles(store, DAYS[0], DAYS[-1])[0]))

    _hook(store, ("_select", "_execute"), chore_and_query, before=chore_and_query)
    assert store.squash_overrides() == 1
    assert len(seen) >= 10
    assert [(sql, tiles) for sql, tiles in seen if tiles != expected] == []
    assert store.override_count(1) == 0
    builder.build(NOW)
    assert _tiles(store, DAYS[0], DAYS[-1]) == (expected, True)
