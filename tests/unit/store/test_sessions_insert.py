"""The sessions table as the store's inserts keep it (a batch's sessions aggregated in
Python, merged with the rows buffered from earlier batches, their states built from those
rows) equals the states ClickHouse computes over every stored event at once
(`sessions_select_sql`, the backfill's scan of the raw events), for sessions split across
batches with their events out of order, an event stored twice, a batch inserted twice,
property values of every JSON type, and two projects."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from store_kinds import OpenStore

from hedgerow.event import IngestEvent
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.property_text import text_form
from hedgerow.store.schema import DATABASE, text_form_expression
from hedgerow.store.sessions_schema import (
    FIRST_EVENT_PROPERTIES,
    FIRST_SEEN_PROPERTIES,
    SESSIONS_TABLE,
    SESSIONS_VIEW,
    sessions_select_sql,
)

FINISHED = ", ".join(
    [
        "team_id",
        "session_id",
        "argMaxMerge(distinct_id)",
        "toString(min(min_timestamp))",
        "toString(max(max_timestamp))",
        "argMinMerge(entry_url)",
        "argMaxMerge(end_url)",
        *(f"argMinMerge({c})" for c in FIRST_EVENT_PROPERTIES),
        *(f"argMinMerge({c})" for c in FIRST_SEEN_PROPERTIES),
        "uniqExactMerge(pageview_uniq)",
        "uniqExactMerge(autocapture_uniq)",
    ]
)
# Values of every JSON type, as a property can hold them (ClickHouse rewrites numbers and
# the escapes of strings inside objects: the text form must be ClickHouse's).
ODD_VALUES: list[Any] = [
    *(7, -5, 2**64 - 1, -(2**63), True, False, 1.5, 1.0, -0.0, 0.0, 0.1, 123.456, 5e-324),
    *(1e20, 1e21, 1e-7, 1e-6, 1.234e-6, 2.0**53, 12345678901234567890.0, -1.7976931348623157e308),
    *(float("nan"), float("inf")),
    {"a": [1, "x", 1.0, None, {"b": 1e-7}], "c": 'ü/\n"\u0001\t\u2028\u2029\x7f'},
    *([], {}, [[]], 'ünï "q" \\ \n', "\u2028", "", None),
]


def _finished(store: ChdbEventStore, source: str) -> list[list[Any]]:
    return store.run(
        f"SELECT {FINISHED} FROM {source} GROUP BY team_id, session_id ORDER BY team_id, session_id"
    ).rows


def _by_session(store: ChdbEventStore) -> dict[str, list[Any]]:
    return {row[1]: row for row in _finished(store, SESSIONS_TABLE)}


def _check_against_the_scan(store: ChdbEventStore) -> list[list[Any]]:
    store.flush_sessions()  # the rows buffered across the batches, merged
    kept = _finished(store, SESSIONS_TABLE)
    scanned = _finished(store, f"({sessions_select_sql()})")
    assert kept == scanned
    return kept


def _event(
    session: Any, second: int, name: str = "$pageview", team_id: int = 1, **properties: Any
) -> IngestEvent:
    props = {"$session_id": session, **properties} if session is not None else properties
    return IngestEvent(
        team_id=team_id,
        uuid=str(uuid.uuid4()),
        event=name,
        distinct_id=f"d{second}",
        properties=props,
        timestamp=f"2026-05-04 10:{second // 60:02d}:{second % 60:02d}.{second:06d}",
        now="2026-05-04 12:00:00.000000",
    )


@pytest.fixture()
def store(open_store: OpenStore) -> Any:
    instance = open_store()
    yield instance
    instance.close()


def test_sessions_split_across_batches_out_of_order(store: ChdbEventStore) -> None:
    late_first = _event(
        "a",
        5,
        utm_source="news",
        **{"$referring_domain": "t.co", "$current_url": "https://s.io/in"},
    )
    batches = [
        [  # a's middle events; b's first event has no URL and no device
            _event("a", 20, **{"$current_url": "https://s.io/2", "$browser": "Firefox"}),
            _event("a", 30, "$autocapture", **{"$current_url": "https://s.io/3"}),
            _event("b", 1, "signed_up", **{"$referring_domain": "$direct"}),
            _event(None, 2, **{"$current_url": "https://s.io/none"}),
        ],
        [  # a's first event arrives later (the event buffer held it), and its last one
            _event("a", 50, "cta", **{"$device_type": "Mobile"}),
            late_first,
            _event("b", 9, **{"$current_url": "https://s.io/b", "$os": "iOS"}),
        ],
        [_event("a", 40, **{"$current_url": "https://s.io/4", "$browser": "Chrome"})],
    ]
    for n, batch in enumerate(batches):
        store.insert(batch, f"batch-{n}")
    _check_against_the_scan(store)
    a, b = _by_session(store)["a"], _by_session(store)["b"]
    assert a[2:7] == [
        "d50",
        "2026-05-04 10:00:05.000005",
        "2026-05-04 10:00:50.000050",
        "https://s.io/in",
        "https://s.io/4",
    ]
    first = dict(zip(FIRST_EVENT_PROPERTIES, a[7:17], strict=True))
    assert first["initial_referring_domain"] == "t.co" and first["initial_utm_source"] == "news"
    seen = dict(zip(FIRST_SEEN_PROPERTIES, a[17:21], strict=True))
    assert seen["initial_browser"] == "Firefox" and seen["initial_device_type"] == "Mobile"
    assert a[21:] == [3, 1]  # page views at 5, 20 and 40 s; one autocapture
    assert b[5:7] == ["https://s.io/b", "https://s.io/b"] and b[21:] == [1, 0]
    assert dict(zip(FIRST_SEEN_PROPERTIES, b[17:21], strict=True))["initial_os"] == "iOS"


def test_an_event_or_a_batch_stored_twice_counts_once(store: ChdbEventStore) -> None:
    view = _event("s", 1, **{"$current_url": "https://s.io/"})
    click = _event("s", 2, "$autocapture")
    store.insert([view, click], "first")
    store.insert([view, click], "first")  # the same batch again: the token drops the events
    store.insert([_event("s", 3), view], "second")  # an event again, in another batch
    assert store.run(f"SELECT count() FROM {DATABASE}.events").rows == [[4]]
    (row,) = _check_against_the_scan(store)
    assert row[21:] == [2, 1]


def test_values_of_every_type_read_as_the_events_columns_read_them(
    store: ChdbEventStore,
) -> None:
    events = [
        _event(value, n, **{"utm_campaign": value, "$geoip_country_code": value})
        for n, value in enumerate(ODD_VALUES)
    ]
    events += [_event(42, 30, team_id=2, utm_term=[1, 2.5])]  # a number as the session id
    store.insert(events, "odd")
    rows = _check_against_the_scan(store)
    assert [r[:2] for r in rows if r[0] == 2] == [[2, "42"]]
    expression = text_form_expression("properties", "'utm_campaign'")
    columns = store.run(f"SELECT {expression} FROM {DATABASE}.events WHERE team_id = 1").rows
    assert sorted(c[0] for c in columns) == sorted(text_form(v) for v in ODD_VALUES)


def test_a_store_kept_by_the_view_keeps_its_sessions_without_it(open_store: OpenStore) -> None:
    """A store from when the materialized view kept the table: opening it drops the view,
    the sessions stay, and the store's inserts add to them."""
    store = open_store(keep_sessions=False)
    store.run(
        f"CREATE MATERIALIZED VIEW {SESSIONS_VIEW} TO {SESSIONS_TABLE} AS {sessions_select_sql()}"
    )
    store.insert([_event("v", 1, **{"$current_url": "https://s.io/old"})], "old")
    before = _finished(store, SESSIONS_TABLE)
    assert len(before) == 1
    store.close()
    store = open_store()
    try:
        views = store.run(
            f"SELECT count() FROM system.tables WHERE database = '{DATABASE}' "
            f"AND name = '{SESSIONS_VIEW.split('.')[1]}'"
        ).rows
        assert views == [[0]]
        assert _finished(store, SESSIONS_TABLE) == before
        store.insert([_event("v", 2, "$autocapture")], "new")
        (row,) = _check_against_the_scan(store)
        assert row[21:] == [1, 1]
    finally:
        store.close()
