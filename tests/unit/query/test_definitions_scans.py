"""Definitions scan new parts a bounded number of rows at a time and keep each statement's
counts, so a scan that fails part-way resumes; SQL typing does not wait for a large scan
(it runs in the background), which kept a soak's every SQL query timing out for good."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hedgerow.event import IngestEvent
from hedgerow.query import definitions
from hedgerow.query.definitions import Definitions
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.events import QueryFailed


def _insert(store: ChdbEventStore, key: str, value: Any, count: int = 10) -> None:
    """One insert: one new part of `count` events carrying {key: value}."""
    store.insert(
        [
            IngestEvent(
                team_id=1,
                uuid=str(uuid.uuid4()),
                event="bought",
                distinct_id=f"d{n}",
                properties={key: value},
                timestamp="2026-03-01 12:00:00.000000",
                now="2026-03-02 00:00:00.000000",
                person_id=str(uuid.uuid4()),
                person_idx=n + 1,
            )
            for n in range(count)
        ],
        dedup_token=str(uuid.uuid4()),
    )


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[ChdbEventStore]:
    events = ChdbEventStore(tmp_path / "events.chdb")
    yield events
    events.close()


def _scans(store: ChdbEventStore) -> list[str]:
    """Record the scan statements the store runs from now on."""
    seen: list[str] = []
    original = store.query

    def spy(sql: str, params: Any = None, **options: Any) -> Any:
        if "JSONExtractKeysAndValuesRaw(properties)" in sql and "_part IN" in sql:
            seen.append(sql)
        return original(sql, params, **options)

    store.query = spy  # type: ignore[method-assign]
    return seen


def test_a_scan_that_fails_part_way_keeps_what_it_counted(
    store: ChdbEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(definitions, "SCAN_ROWS", 10)  # one part a statement
    for key in ("a", "b", "c"):
        _insert(store, key, 1)
    defs = Definitions(store)
    original, calls = store.query, []

    def second_scan_fails(sql: str, params: Any = None, **options: Any) -> Any:
        if "_part IN" in sql:
            calls.append(sql)
            if len(calls) == 2:
                raise QueryFailed("Code: 159. timeout", name="TIMEOUT_EXCEEDED", limit="time")
        return original(sql, params, **options)

    store.query = second_scan_fails  # type: ignore[method-assign]
    with pytest.raises(QueryFailed):
        defs.event_stats(1)
    assert len(calls) == 2
    del store.query
    scans = _scans(store)
    stats = defs.event_stats(1)
    first_part = calls[0].split("_part IN (")[1].split(")")[0]
    assert len(scans) == 2  # the part whose scan failed and the one after it: one each
    assert not any(first_part in sql for sql in scans)  # the first part's counts were kept
    assert {name for source, name in stats if source == "event"} == {"a", "b", "c"}
    assert stats[("", "bought")].volume == 30


def test_sql_typing_does_not_wait_for_a_large_scan(
    store: ChdbEventStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _insert(store, "price", 5)
    defs = Definitions(store)
    assert defs.property_types(1)[("event", "price")] == "Numeric"  # small: waits
    monkeypatch.setattr(definitions, "SYNC_SCAN_ROWS", 15)
    _insert(store, "plan", "pro", count=20)  # more unscanned rows than SQL typing waits for
    scans = _scans(store)
    types = defs.property_types(1)
    assert ("event", "plan") not in types and types[("event", "price")] == "Numeric"
    deadline = time.monotonic() + 30
    while ("event", "plan") not in defs.property_types(1):  # the background scan lands
        assert time.monotonic() < deadline, "the background scan never finished"
        time.sleep(0.05)
    assert defs.property_types(1)[("event", "plan")] == "String"
    assert len(scans) == 1  # scanned once, in the background
    del store.query


def _known_rows(defs: Definitions) -> int:
    return sum(part.rows for part in defs._parts.values())


def test_a_server_keeps_up_so_merged_parts_need_no_scan(store: ChdbEventStore) -> None:
    """Parts scanned as they arrive, with no request, make the part a merge makes of them a
    sum of known parts. Left to requests, a merge of unscanned parts is scanned whole (in
    the soak: parts of millions of rows, 10-30 s a statement)."""
    defs = Definitions(store)
    original, limits = store.query, []

    def spy(sql: str, params: Any = None, **options: Any) -> Any:
        if "_part IN" in sql:
            limits.append(options.get("settings"))
        return original(sql, params, **options)

    store.query = spy  # type: ignore[method-assign]
    defs.start_keeping_up(0.05)
    try:
        for key in ("a", "b", "c"):
            _insert(store, key, 1)
        deadline = time.monotonic() + 30
        while _known_rows(defs) < 30:  # scanned without a request
            assert time.monotonic() < deadline, "new parts were not scanned"
            time.sleep(0.05)
        assert limits and all(
            s == {"max_execution_time": definitions.BACKGROUND_SCAN_SECONDS} for s in limits
        )
        del store.query
        scans = _scans(store)
        store._execute("OPTIMIZE TABLE hedgerow.events FINAL")
        stats = defs.event_stats(1)
        assert [len(p.teams) for p in defs._parts.values()] == [1]  # one merged part
    finally:
        defs.stop()
    assert scans == []  # the merged part is the sum of the parts the keeper scanned
    assert {name for source, name in stats if source == "event"} == {"a", "b", "c"}
    assert stats[("", "bought")].volume == 30
