"""LifecycleQuery's `new` reads each person's first event from the events table's
`first_seen` projection: right before a merge, while the merge waits in the override map,
and after the stored rows are rewritten (ClickHouse must rebuild the projection then)."""

from __future__ import annotations

import uuid
from typing import Any

from store_kinds import OpenStore

from hedgerow.event import IngestEvent
from hedgerow.persons.store import Override
from hedgerow.query.core import QueryEnv
from hedgerow.query.lifecycle import run_lifecycle_query
from hedgerow.store.chdb import ChdbEventStore

ANON = "00000000-0000-4000-8000-000000000001"  # index 1: a purchase long before the range
USER = "00000000-0000-4000-8000-000000000002"  # index 2: page views on days 1 and 2
QUERY = {
    "kind": "LifecycleQuery",
    "interval": "day",
    "series": [{"event": "$pageview"}],
    "dateRange": {"date_from": "2026-03-01", "date_to": "2026-03-05"},
}


def _event(name: str, day: str, person_id: str, idx: int) -> IngestEvent:
    return IngestEvent(
        team_id=1,
        uuid=str(uuid.uuid4()),
        event=name,
        distinct_id=f"d{idx}",
        properties={},
        timestamp=f"2026-03-{day} 12:00:00.000000",
        now="2026-03-06 00:00:00.000000",
        person_id=person_id,
        person_idx=idx,
    )


def _statuses(store: ChdbEventStore) -> dict[str, list[int]]:
    answer = run_lifecycle_query(QueryEnv(store, 1, "UTC"), QUERY)
    return {row["status"]: row["data"] for row in answer["results"]}


def _plan(store: ChdbEventStore) -> str:
    """ClickHouse's plan of the statement the lifecycle query runs."""
    seen: list[tuple[str, Any]] = []
    original = store.query

    def spy(sql: str, params: Any = None, **options: Any) -> Any:
        seen.append((sql, params))
        return original(sql, params, **options)

    store.query = spy  # type: ignore[method-assign]
    try:
        _statuses(store)
    finally:
        del store.query
    sql, params = seen[-1]
    return "\n".join(row[0] for row in original("EXPLAIN " + sql, params).rows)


def test_new_comes_from_the_first_event_ever_across_a_merge(open_store: OpenStore) -> None:
    store = open_store()
    try:
        store.insert([_event("purchase", "01", ANON, 1)], "a")  # one part per insert
        store.insert([_event("$pageview", "02", USER, 2)], "b")
        store.insert([_event("$pageview", "03", USER, 2)], "c")

        before = _statuses(store)
        assert before["new"] == [0, 1, 0, 0, 0]  # USER's first event is on day 2 (index 1)
        assert before["dormant"] == [0, 0, 0, -1, 0]

        # ANON merges into USER: USER's first event ever is now ANON's purchase on day 1.
        store.insert_overrides([Override(1, ANON, USER, 1, 1, 2)])
        assert store.override_count(1) == 1
        merged = {"new": [0] * 5, "returning": [0, 0, 1, 0, 0]}
        merged |= {"resurrecting": [0, 1, 0, 0, 0], "dormant": [0, 0, 0, -1, 0]}
        assert _statuses(store) == merged

        # The rewrite moves ANON's events to index 2: the projection must follow.
        assert store.squash_overrides() == 1
        assert store.override_count(1) == 0
        assert _statuses(store) == merged

        parts = store.query(
            "SELECT count() FROM system.parts WHERE database = 'hedgerow' AND table = 'events' "
            "AND active"
        ).rows[0][0]
        projected = store.query(
            "SELECT count() FROM system.projection_parts WHERE database = 'hedgerow' AND "
            "table = 'events' AND name = 'first_seen' AND active"
        ).rows[0][0]
        assert parts >= 3 and projected == parts
        assert "ReadFromMergeTree (first_seen)" in _plan(store)
    finally:  # an open store would keep chDB on this path for the next test
        store.close()
