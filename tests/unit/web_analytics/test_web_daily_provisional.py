"""Today as a provisional day of the web pre-aggregate (the chore's clock fixed at noon):
read while no event came since the chore built it, made from the raw events as soon as one
did (today's, or one of the day before that changes a session of today), and read again
once the chore built it again (a merge of parts changes nothing); built right while the
sessions of its events are still in the store's buffer. Every answer equals the tiles
computed here from the events sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from web_daily_events import DAYS, NOW, SENT, TODAY, TODAYS_A, expected, tiles, visit

from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE
from hedgerow.web_analytics.daily_chore import WebDailyBuilder

YESTERDAY = TODAY - timedelta(days=1)


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[ChdbEventStore]:
    """The events sent, their sessions written, every day built (today provisional)."""
    opened = ChdbEventStore(tmp_path / "events.chdb", sessions_flush_seconds=3600)
    try:
        opened.insert(SENT, "sent")
        opened.flush_sessions()
        WebDailyBuilder(opened, 1, "UTC").build(NOW)
        yield opened
    finally:
        opened.close()


def test_today_is_read_from_its_build_until_an_event_comes(store: ChdbEventStore) -> None:
    assert tiles(store, TODAY, TODAY) == (expected(SENT, TODAY, TODAY), True)
    later = visit(TODAY, 11, "d", 3)
    store.insert(later, "later")
    store.flush_sessions()
    sent = [*SENT, *later]
    # The build no longer holds today's events: today is made from them (the range has no
    # other day, so the whole answer is the raw path's).
    assert tiles(store, TODAY, TODAY) == (expected(sent, TODAY, TODAY), False)
    # The days before are still read from the pre-aggregate, today from the events.
    week = tiles(store, TODAY - timedelta(days=6), TODAY)
    assert week == (expected(sent, TODAY - timedelta(days=6), TODAY), True)
    assert WebDailyBuilder(store, 1, "UTC").build(NOW) == 1  # today alone built again
    assert tiles(store, TODAY, TODAY) == (expected(sent, TODAY, TODAY), True)


def test_an_event_of_the_day_before_in_a_session_of_today_makes_it_stale(
    store: ChdbEventStore,
) -> None:
    """A page view at 23:59 yesterday in the session of a's visit at 00:01 today: the
    session now started yesterday, so its page views of today no longer count for today."""
    earlier = visit(YESTERDAY, 23, "a", 1, minute=59, session=TODAYS_A)
    before = expected(SENT, TODAY, TODAY)
    store.insert(earlier, "earlier")
    store.flush_sessions()
    sent = [*SENT, *earlier]
    assert expected(sent, TODAY, TODAY) != before
    assert tiles(store, TODAY, TODAY) == (expected(sent, TODAY, TODAY), False)
    WebDailyBuilder(store, 1, "UTC").build(NOW)
    assert tiles(store, TODAY, TODAY) == (expected(sent, TODAY, TODAY), True)


def test_a_provisional_day_built_while_its_sessions_are_buffered_counts_them(
    store: ChdbEventStore,
) -> None:
    """The store holds the sessions of new events in its buffer when the chore runs: the
    chore has them written before it reads the day."""
    later = visit(TODAY, 10, "b", 2)
    store.insert(later, "later")  # sessions buffered (written hourly here)
    WebDailyBuilder(store, 1, "UTC").build(NOW)
    assert tiles(store, TODAY, TODAY) == (expected([*SENT, *later], TODAY, TODAY), True)


def test_a_merge_of_parts_leaves_today_read_from_its_build(store: ChdbEventStore) -> None:
    """ClickHouse merges parts all the time: a part that holds none of the events today
    depends on, merged with the one that does, changes no event of today's."""
    old = visit(DAYS[0], 20, "d", 1)
    store.insert(old, "old")  # a second part, of May 2 only
    store.flush_sessions()
    WebDailyBuilder(store, 1, "UTC").build(NOW)
    store.run(f"OPTIMIZE TABLE {DATABASE}.events FINAL")
    parts = store.run(
        "SELECT count() FROM system.parts "
        f"WHERE database = '{DATABASE}' AND table = 'events' AND active"
    ).rows
    assert int(parts[0][0]) == 1
    assert tiles(store, TODAY, TODAY) == (expected([*SENT, *old], TODAY, TODAY), True)
