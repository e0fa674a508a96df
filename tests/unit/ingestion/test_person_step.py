from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from hedgerow.event import EPOCH_MARKER, IngestEvent
from hedgerow.ingestion.pipeline import OK, WarningSink
from hedgerow.ingestion.steps.person import apply_property_operations, person_step
from hedgerow.persons.ids import person_uuid
from hedgerow.persons.sqlite import SqlitePersonStore


def _event(distinct_id: str, properties: dict[str, Any]) -> IngestEvent:
    return IngestEvent(
        1,
        "u-1",
        "e",
        distinct_id,
        properties,
        "2026-01-01 00:00:00.000000",
        "2026-01-01 00:00:00.000000",
    )


def test_operations_apply_set_once_then_set_then_unset() -> None:
    person = {"kept": 1, "gone": 2}
    changed = apply_property_operations(
        person,
        {
            "$set_once": {"kept": 100, "first": "a", "both": "once"},
            "$set": {"both": "set", "plan": "pro"},
            "$unset": ["gone", "never-there"],
        },
    )
    assert changed == {"first", "both", "plan", "gone"}
    assert person == {"kept": 1, "first": "a", "both": "set", "plan": "pro"}
    assert apply_property_operations(person, {"$set": {"plan": "pro"}}) == set()


def test_person_created_once_and_properties_stamped(tmp_path: Path) -> None:
    store = SqlitePersonStore(tmp_path / "persons.sqlite3")
    step = person_step(store, WarningSink())
    first = _event("alice", {"$set": {"email": "a@example.com"}})
    second = _event("alice", {"$set_once": {"email": "other"}, "$set": {"plan": "pro"}})
    with store.transaction():
        assert step(first) == OK
        assert step(second) == OK
    expected_id = person_uuid(1, "alice")
    assert first.person_id == second.person_id == expected_id
    assert first.person_properties == {"email": "a@example.com"}
    assert second.person_properties == {"email": "a@example.com", "plan": "pro"}
    stored = store.get_by_distinct_id(1, "alice")
    assert stored is not None and stored.properties == second.person_properties
    assert store.distinct_ids(1, expected_id) == ["alice"]
    store.close()


def test_each_event_keeps_the_properties_as_of_its_processing(tmp_path: Path) -> None:
    """Events that change nothing share one snapshot; a later change never reaches them."""
    store = SqlitePersonStore(tmp_path / "persons.sqlite3")
    step = person_step(store, WarningSink())
    events = [
        _event("alice", {"$set": {"plan": "free"}}),
        _event("alice", {}),
        _event("alice", {"$set": {"plan": "free"}}),  # the same value: no change
        _event("alice", {"$set": {"plan": "pro"}}),
        _event("alice", {"$unset": ["plan"]}),
        _event("anon", {"$set": {"seen": True}}),
        _event("alice", {"$anon_distinct_id": "anon"}),  # a merge brings `seen` over
        _event("alice", {}),
    ]
    events[6].event = "$identify"
    with store.transaction():
        for event in events:
            assert step(event) == OK
    assert [e.person_properties for e in events] == [
        {"plan": "free"},
        {"plan": "free"},
        {"plan": "free"},
        {"plan": "pro"},
        {},
        {"seen": True},
        {"seen": True},
        {"seen": True},
    ]
    assert events[1].person_properties is events[0].person_properties  # one snapshot
    stored = store.get_by_distinct_id(1, "alice")
    assert stored is not None and stored.properties == {"seen": True}
    assert stored.properties is not events[7].person_properties
    store.close()


def test_personless_events_create_no_person(tmp_path: Path) -> None:
    store = SqlitePersonStore(tmp_path / "persons.sqlite3")
    warnings = WarningSink()
    step = person_step(store, warnings)
    event = _event("anon", {"$process_person_profile": False, "$set": {"a": 1}})
    with store.transaction():
        assert step(event) == OK
    assert event.person_id == person_uuid(1, "anon")
    assert event.person_mode == "propertyless"
    assert event.person_properties == {}
    assert event.person_created_at == EPOCH_MARKER
    assert store.get_by_distinct_id(1, "anon") is None
    odd = _event("odd", {"$process_person_profile": "no"})
    with store.transaction():
        step(odd)
    assert [w.type for w in warnings.items] == ["invalid_process_person_profile"]
    assert odd.person_mode == "full"
    store.close()


def test_noisy_changes_alone_are_not_written(tmp_path: Path) -> None:
    store = SqlitePersonStore(tmp_path / "persons.sqlite3")
    step = person_step(store, WarningSink())
    with store.transaction():
        step(_event("zoe", {"$set": {"$current_url": "/a", "plan": "free"}}))
    with store.transaction():
        later = _event("zoe", {"$set": {"$current_url": "/b"}})
        step(later)
    assert later.person_properties["$current_url"] == "/b"  # on the event, as of now
    other = SqlitePersonStore(tmp_path / "persons.sqlite3")  # what was written
    written = other.get_by_distinct_id(1, "zoe")
    assert written is not None and written.properties["$current_url"] == "/a"
    with store.transaction():
        step(_event("zoe", {"$set": {"$current_url": "/c", "plan": "pro"}}))
    written = other.get_by_distinct_id(1, "zoe")
    assert written is not None
    assert written.properties == {"$current_url": "/c", "plan": "pro"}
    other.close()
    store.close()


def _reference_operations(current: dict[str, Any], properties: dict[str, Any]) -> set[str]:
    """PostHog's rules key by key: `$set_once` adds what is missing, `$set` writes what
    differs, `$unset` removes."""
    changed: set[str] = set()
    for key, value in (properties.get("$set_once") or {}).items():
        if key not in current:
            current[key] = value
            changed.add(key)
    for key, value in (properties.get("$set") or {}).items():
        if key not in current or current[key] != value:
            current[key] = value
            changed.add(key)
    for key in properties.get("$unset") or []:
        if key in current:
            del current[key]
            changed.add(key)
    return changed


def test_operations_match_the_rules_key_by_key_in_order() -> None:
    """The shortcuts (nothing new, everything new) change the same keys, to the same values,
    in the same order, as applying each key on its own; random persons and operations over
    a few keys, so that every mix of new, equal and different keys occurs."""
    rng = random.Random(19)
    keys = ["$geoip_city_name", "$initial_geoip_city_name", "$browser", "plan", "email"]

    def values() -> dict[str, Any]:
        chosen = rng.sample(keys, rng.randrange(len(keys) + 1))
        return {key: rng.choice([None, 1, "a", "b", [1], {"x": 1}]) for key in chosen}

    for _ in range(3000):
        person = values()
        operations: dict[str, Any] = {"$set_once": values(), "$set": values()}
        if rng.random() < 0.2:
            operations["$unset"] = rng.sample(keys, 2)
        expected = dict(person)
        expected_changed = _reference_operations(expected, operations)
        changed = apply_property_operations(person, operations)
        assert (list(person.items()), changed) == (list(expected.items()), expected_changed)
