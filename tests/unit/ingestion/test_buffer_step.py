from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hedgerow.event import IngestEvent
from hedgerow.ingestion.pipeline import OK, Delay
from hedgerow.ingestion.steps.buffer import BufferIndex, buffer_step, captured_at
from hedgerow.persons.sqlite import SqlitePersonStore

NOW = "2026-11-24 10:00:00.000000"


def _event(event: str, distinct_id: str, **properties: Any) -> IngestEvent:
    return IngestEvent(1, f"u-{event}", event, distinct_id, dict(properties), NOW, NOW)


@pytest.fixture()
def persons(tmp_path: Path) -> Iterator[SqlitePersonStore]:
    store = SqlitePersonStore(tmp_path / "persons.sqlite3")
    with store.transaction():
        store.create(1, "known", properties={}, created_at=NOW)
    yield store
    store.close()


def test_unknown_identified_user_is_held_for_the_delay(persons: SqlitePersonStore) -> None:
    held: BufferIndex = {}
    step = buffer_step(persons, 60, held)
    event = _event("User signed up", "alice")
    assert step(event) == Delay(captured_at(event) + 60)
    assert held == {(1, "alice"): (1, captured_at(event) + 60)}


@pytest.mark.parametrize(
    ("event", "distinct_id", "properties"),
    [
        ("$pageview", "anon", {"$device_id": "anon"}),  # anonymous
        ("$identify", "alice", {"$anon_distinct_id": "anon"}),
        ("$create_alias", "alice", {"alias": "x"}),
        ("$merge_dangerously", "alice", {"alias": "x"}),
        ("$groupidentify", "alice", {}),
        ("Order created", "known", {}),  # has a person
        ("personless", "alice", {"$process_person_profile": False}),
    ],
)
def test_not_held(
    persons: SqlitePersonStore, event: str, distinct_id: str, properties: dict[str, Any]
) -> None:
    held: BufferIndex = {}
    assert buffer_step(persons, 60, held)(_event(event, distinct_id, **properties)) == OK
    assert held == {}


def test_zero_delay_and_released_events_pass(persons: SqlitePersonStore) -> None:
    assert buffer_step(persons, 0, {})(_event("e", "alice")) == OK
    released = _event("e", "alice")
    released.released = True
    assert buffer_step(persons, 60, {})(released) == OK


def test_later_events_of_a_held_id_wait_behind_it(persons: SqlitePersonStore) -> None:
    held: BufferIndex = {(1, "known"): (2, 9_999_999_999.0)}
    step = buffer_step(persons, 60, held)
    # "known" has a person, but two of its events are still waiting: keep the order.
    assert step(_event("later", "known")) == Delay(9_999_999_999.0)
    assert held[(1, "known")] == (3, 9_999_999_999.0)
    # identity events are never held, even then
    assert step(_event("$identify", "known", **{"$anon_distinct_id": "a"})) == OK
