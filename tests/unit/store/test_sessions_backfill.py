"""The sessions backfill of a store from before the sessions table (`sessions_backfill.py`)
runs in windows of time whose statements each carry the memory bound, builds the same
sessions as one scan of every stored event (sessions straddling windows included), and,
interrupted half-way (a window inserted, its end not recorded), finishes at the next open
from where it stopped with every session once."""

from __future__ import annotations

import logging
import random
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from store_kinds import OpenStore
from test_sessions_insert import _finished

from hedgerow.event import IngestEvent
from hedgerow.store import sessions_backfill
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE
from hedgerow.store.sessions_backfill import PROGRESS_TABLE, SPILL_BYTES, Window, plan_windows
from hedgerow.store.sessions_schema import SESSIONS_TABLE, sessions_select_sql

SESSIONS = 40
WINDOW_EVENTS = 25


def _events() -> list[IngestEvent]:
    """Events of 40 sessions in two projects over three days: each session's events a few
    hours apart (so most sessions straddle windows), every timestamp distinct, and some
    events without a session."""
    rng = random.Random(7)
    events = []
    for n in range(SESSIONS * 6):
        session = n % SESSIONS
        minute = session * 100 + (n // SESSIONS) * 37 + rng.randrange(30)
        props: dict[str, Any] = {"$session_id": f"s{session:02d}"}
        if n % 17 == 3:
            del props["$session_id"]
        if rng.random() < 0.7:
            props["$current_url"] = f"https://s.io/{rng.randrange(5)}"
        if rng.random() < 0.5:
            props["$browser"] = rng.choice(["Chrome", "Firefox"])
        if n < SESSIONS:
            props["utm_source"] = rng.choice(["", "news", "ads"])
        events.append(
            IngestEvent(
                team_id=1 if session % 4 else 2,
                uuid=str(uuid.UUID(int=rng.getrandbits(128))),
                event=rng.choice(["$pageview", "$pageview", "$autocapture", "cta"]),
                distinct_id=f"d{rng.randrange(6)}",
                properties=props,
                timestamp=f"2026-05-{4 + minute // 1440:02d} {minute // 60 % 24:02d}:"
                f"{minute % 60:02d}:{n % 60:02d}.{n:06d}",
                now="2026-05-08 12:00:00.000000",
            )
        )
    return events


def _old_store(open_store: OpenStore) -> type[ChdbEventStore]:
    """Store the events without sessions, then take the sessions table, its watermark and
    its mark away: the shape of a store from before the table. Returns the store's class."""
    store = open_store(keep_sessions=False)
    events = _events()
    for start in range(0, len(events), 50):
        store.insert(events[start : start + 50], f"batch-{start}")
    store.run(f"DROP TABLE {SESSIONS_TABLE}")
    store.run(f"DROP TABLE IF EXISTS {DATABASE}.sessions_written")
    store.run(f"DELETE FROM {DATABASE}.migrations WHERE name = 'sessions'")
    store.close()
    return type(store)


def _record_statements(
    monkeypatch: pytest.MonkeyPatch, kind: type[ChdbEventStore], seen: list[str]
) -> None:
    original: Callable[..., Any] = kind._execute

    def recording(self: ChdbEventStore, sql: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(sql)
        return original(self, sql, *args, **kwargs)

    monkeypatch.setattr(kind, "_execute", recording)


def _check_sessions(store: ChdbEventStore) -> None:
    """The table's sessions equal one scan of every stored event, each session once."""
    kept = _finished(store, SESSIONS_TABLE)
    assert kept == _finished(store, f"({sessions_select_sql()})")
    assert len(kept) == len({(row[0], row[1]) for row in kept}) == SESSIONS


def _window_inserts(statements: list[str]) -> list[str]:
    return [s for s in statements if s.startswith(f"INSERT INTO {SESSIONS_TABLE} ")]


def test_hours_pack_into_windows_of_at_least_the_size() -> None:
    hours = [(10, 3), (11, 4), (14, 1), (15, 9), (16, 2), (40, 1)]
    assert plan_windows(hours, 5) == [Window(10, 12, 7), Window(14, 16, 10), Window(16, 41, 3)]
    assert plan_windows(hours, 100) == [Window(10, 41, 20)]
    assert plan_windows([], 5) == []


def test_the_backfill_runs_in_windows_each_with_the_memory_bound(
    open_store: OpenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    kind = _old_store(open_store)
    statements: list[str] = []
    _record_statements(monkeypatch, kind, statements)
    monkeypatch.setattr(sessions_backfill, "WINDOW_EVENTS", WINDOW_EVENTS)
    store = open_store()
    try:
        inserts = _window_inserts(statements)
        assert len(inserts) >= len(_events()) // WINDOW_EVENTS - 1
        for sql in inserts:
            assert "timestamp >= toDateTime64(" in sql and "timestamp < toDateTime64(" in sql
            assert sql.endswith(f"SETTINGS max_bytes_before_external_group_by = {SPILL_BYTES}")
        _check_sessions(store)
        assert store.run(f"EXISTS TABLE {PROGRESS_TABLE}").rows == [[0]]  # forgotten when done
    finally:
        store.close()


class Interrupted(Exception):
    pass


def test_a_backfill_interrupted_half_way_goes_on_at_the_next_open(
    open_store: OpenStore, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    kind = _old_store(open_store)
    monkeypatch.setattr(sessions_backfill, "WINDOW_EVENTS", WINDOW_EVENTS)
    original = sessions_backfill.insert_window
    inserted: list[Window] = []

    def insert_then_stop(execute: Callable[[str], Any], window: Window) -> None:
        original(execute, window)
        inserted.append(window)
        if len(inserted) == 3:  # the window's rows are in, its end is not recorded
            raise Interrupted

    monkeypatch.setattr(sessions_backfill, "insert_window", insert_then_stop)
    with pytest.raises(Interrupted):
        open_store()
    monkeypatch.setattr(sessions_backfill, "insert_window", original)
    statements: list[str] = []
    _record_statements(monkeypatch, kind, statements)
    with caplog.at_level(logging.INFO, logger=sessions_backfill.__name__):
        store = open_store()
    try:
        resumed = _window_inserts(statements)
        recorded_end = inserted[1].describe().split(" to ")[1]
        assert f"resuming the sessions backfill from {recorded_end}" in caplog.text
        for done in inserted[:2]:  # the windows recorded are not aggregated again
            assert not [sql for sql in resumed if done.condition() in sql]
        assert inserted[2].condition() in resumed[0]  # the one not recorded goes again
        assert len(resumed) >= 2
        _check_sessions(store)
    finally:
        store.close()
