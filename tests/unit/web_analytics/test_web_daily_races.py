"""The pre-aggregated web days against what runs beside them, each interleaving forced
(a hook after a chosen statement, the chore's clock fixed): a query whose days (complete,
or today's provisional one) are taken out while it runs, a query while a day is built
again, a day built while its sessions are still in the store's buffer, and the squash of a
merge with the chore building and a query asking after each of its statements. Every
answer equals the tiles computed here from the events sent
(docs/web-analytics.md#pre-aggregated-days)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from web_daily_events import DAYS, NOW, PERSONS, SENT, TODAY, expected, hook, tiles, visit

from hedgerow.persons.store import Override
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.web_daily_schema import BUILD_LOCK, forget_days
from hedgerow.web_analytics.daily_chore import WebDailyBuilder


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


@pytest.mark.parametrize("day", [DAYS[1], TODAY], ids=["complete", "provisional"])
def test_a_day_taken_out_while_a_query_runs_is_read_again(store: ChdbEventStore, day: date) -> None:
    """An erasure, retention or squash takes a day (complete, or today's provisional one)
    out (listing, then rows) after a query read the listing and before its statement read
    the rows."""
    taken: list[str] = []

    def take_out_after_the_listing(sql: str) -> None:
        if "web_daily_days" in sql and "max(build)" in sql and not taken:
            taken.append(sql)
            forget_days(store.run, 1, day, day)

    hook(store, ("query",), take_out_after_the_listing)
    found, aggregated = tiles(store, DAYS[0], TODAY)
    assert taken
    assert found == expected(SENT, DAYS[0], TODAY)
    assert aggregated  # the other days are still read from it


@pytest.mark.parametrize("day", [DAYS[1], TODAY], ids=["complete", "provisional"])
def test_a_day_built_again_stays_listed_throughout(store: ChdbEventStore, day: date) -> None:
    """A late event makes a day stale; while the chore builds it again, a query of that day
    after each of the build's statements reads the pre-aggregate, before or after (a
    complete day), or answers the events as they are (a provisional day: from the raw
    events until it is built again)."""
    late = visit(day, 20 if day != TODAY else 10, "d", 2)
    before = expected(SENT, day, day)
    store.insert(late, "late")
    store.flush_sessions()
    after = expected([*SENT, *late], day, day)
    seen: list[tuple[str, tuple[list[Any], bool]]] = []

    def ask(sql: str) -> None:
        seen.append((sql, tiles(store, day, day)))

    hook(store, ("run",), ask)
    assert WebDailyBuilder(store, 1, "UTC").build(NOW) > 0
    # a complete day: read from the pre-aggregate, stale or built; a provisional one: never
    # the stale build (raw, or the new build)
    stale = (after, False) if day == TODAY else (before, True)
    right = (stale, (after, True))
    assert [(sql, found) for sql, found in seen if found not in right] == []
    assert tiles(store, day, day) == (after, True)


def test_a_day_built_before_its_sessions_are_written_counts_them(store: ChdbEventStore) -> None:
    """Late events are stored, their sessions still buffered, when the chore runs; the
    store writes the sessions later; the chore runs again."""
    late = [*visit(DAYS[0], 21, "c", 2), *visit(DAYS[0], 22, "d", 1)]
    store.insert(late, "late")
    builder = WebDailyBuilder(store, 1, "UTC")
    builder.build(NOW)
    store.flush_sessions()
    builder.build(NOW)
    assert tiles(store, DAYS[0], DAYS[-1]) == (expected([*SENT, *late], DAYS[0], DAYS[-1]), True)


def test_a_squash_with_the_chore_around_every_step_counts_a_merge_once(
    store: ChdbEventStore,
) -> None:
    """Person b merges into a; the squash rewrites b's events. Before and after each of its
    statements the chore builds what it finds stale (unless a take-out holds the lock, as
    it would wait) and the tiles of every day, today's provisional one among them, count a
    and b as one visitor."""
    (a_id, a_idx), (b_id, b_idx) = PERSONS["a"], PERSONS["b"]
    store.insert_overrides([Override(1, b_id, a_id, 1, b_idx, a_idx)])
    merged = expected(SENT, DAYS[0], TODAY, merged={"b": "a"})
    assert merged[0] < expected(SENT, DAYS[0], TODAY)[0]
    assert tiles(store, DAYS[0], TODAY) == (merged, True)
    builder = WebDailyBuilder(store, 1, "UTC")
    seen: list[tuple[str, list[Any]]] = []

    def chore_and_query(sql: str) -> None:
        if _build_lock_free():
            builder.build(NOW)
        seen.append((sql, tiles(store, DAYS[0], TODAY)[0]))

    hook(store, ("_select", "_execute"), chore_and_query, before=chore_and_query)
    assert store.squash_overrides() == 1
    assert len(seen) >= 10
    assert [(sql, found) for sql, found in seen if found != merged] == []
    assert store.override_count(1) == 0
    builder.build(NOW)
    assert tiles(store, DAYS[0], TODAY) == (merged, True)
