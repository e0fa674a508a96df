from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hedgerow.event import IngestEvent
from hedgerow.ingestion.pipeline import OK, Step, Warning, WarningSink
from hedgerow.ingestion.steps.groups import group_string, groups_step
from hedgerow.persons.groups import Group, SqliteGroupStore


def _event(
    properties: dict[str, Any],
    name: str = "$pageview",
    team_id: int = 1,
    uuid: str = "u-1",
    timestamp: str = "2026-01-01 00:00:00.000000",
) -> IngestEvent:
    return IngestEvent(
        team_id, uuid, name, "alice", properties, timestamp, "2026-01-01 00:00:00.000000"
    )


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[SqliteGroupStore]:
    groups = SqliteGroupStore(tmp_path / "groups.sqlite3")
    yield groups
    groups.close()


@pytest.fixture()
def warnings() -> WarningSink:
    return WarningSink()


@pytest.fixture()
def step(store: SqliteGroupStore, warnings: WarningSink) -> Step:
    return groups_step(store, warnings)


def _run(step: Step, store: SqliteGroupStore, *events: IngestEvent) -> None:
    with store.transaction():
        for event in events:
            assert step(event) == OK


def test_slots_follow_first_appearance_per_project(
    step: Step, store: SqliteGroupStore, warnings: WarningSink
) -> None:
    first = _event({"$groups": {"company": "acme", "project": "p1"}})
    second = _event({"$groups": {"team": "core", "company": "globex"}})
    other_project = _event({"$groups": {"team": "t9"}}, team_id=2)
    _run(step, store, first, second, other_project)
    assert first.groups == ["acme", "p1", "", "", ""]
    assert second.groups == ["globex", "", "core", "", ""]
    assert other_project.groups == ["t9", "", "", "", ""]
    assert store.types(1) == {"company": 0, "project": 1, "team": 2}
    assert store.types(2) == {"team": 0}
    assert warnings.items == []


def test_sixth_type_warns_and_gets_no_slot(
    step: Step, store: SqliteGroupStore, warnings: WarningSink
) -> None:
    five = _event({"$groups": {f"t{i}": f"k{i}" for i in range(5)}})
    sixth = _event({"$groups": {"t1": "again", "extra": "x"}}, uuid="u-2")
    _run(step, store, five, sixth)
    assert five.groups == ["k0", "k1", "k2", "k3", "k4"]
    assert sixth.groups == ["", "again", "", "", ""]
    assert warnings.items == [Warning(1, "group_type_limit", "u-2", {"group_type": "extra"})]
    assert store.types(1) == {f"t{i}": i for i in range(5)}


def test_empty_types_and_keys_are_skipped_and_scalars_coerced(
    step: Step, store: SqliteGroupStore, warnings: WarningSink
) -> None:
    event = _event(
        {
            "$groups": {
                "": "nobody",
                "company": "",
                "org": None,
                "nested": {"a": 1},
                "account": 42,
                "flag": True,
                "ratio": 2.0,
                "half": 0.5,
            }
        }
    )
    _run(step, store, event)
    assert event.groups == ["42", "true", "2", "0.5", ""]
    assert store.types(1) == {"account": 0, "flag": 1, "ratio": 2, "half": 3}
    assert warnings.items == []


def test_malformed_groups_property_is_ignored(step: Step, store: SqliteGroupStore) -> None:
    event = _event({"$groups": ["company", "acme"]})
    _run(step, store, event)
    assert event.groups == ["", "", "", "", ""]
    assert store.types(1) == {}


def test_personless_events_get_no_groups(
    step: Step, store: SqliteGroupStore, warnings: WarningSink
) -> None:
    event = _event({"$process_person_profile": False, "$groups": {"company": "acme"}})
    identify = _event(
        {
            "$process_person_profile": False,
            "$group_type": "company",
            "$group_key": "acme",
            "$group_set": {"a": 1},
        },
        name="$groupidentify",
    )
    _run(step, store, event, identify)
    assert event.groups == identify.groups == ["", "", "", "", ""]
    assert store.types(1) == {}
    assert store.get(1, 0, "acme") is None
    assert warnings.items == []


def test_groupidentify_creates_then_merges(
    step: Step, store: SqliteGroupStore, warnings: WarningSink
) -> None:
    _run(step, store, _event({"$groups": {"project": "p1"}}))
    created = _event(
        {
            "$group_type": "company",
            "$group_key": "acme",
            "$group_set": {"name": "Acme", "plan": "free"},
        },
        name="$groupidentify",
        timestamp="2026-01-02 10:00:00.000000",
    )
    _run(step, store, created)
    assert created.groups == ["", "acme", "", "", ""]
    assert store.get(1, 1, "acme") == Group(
        1, 1, "acme", {"name": "Acme", "plan": "free"}, "2026-01-02 10:00:00.000000", 0
    )
    updated = _event(
        {
            "$group_type": "company",
            "$group_key": "acme",
            "$group_set": {"plan": "pro", "seats": 12},
        },
        name="$groupidentify",
        timestamp="2026-01-03 10:00:00.000000",
    )
    _run(step, store, updated)
    assert updated.groups == ["", "acme", "", "", ""]
    assert store.get(1, 1, "acme") == Group(
        1,
        1,
        "acme",
        {"name": "Acme", "plan": "pro", "seats": 12},
        "2026-01-02 10:00:00.000000",
        1,
    )
    assert warnings.items == []


def test_groupidentify_without_group_set_creates_an_empty_group(
    step: Step, store: SqliteGroupStore
) -> None:
    bare = _event({"$group_type": "company", "$group_key": "acme"}, name="$groupidentify")
    odd = _event(
        {"$group_type": "company", "$group_key": "globex", "$group_set": "x"}, name="$groupidentify"
    )
    _run(step, store, bare, odd)
    assert store.get(1, 0, "acme") == Group(1, 0, "acme", {}, "2026-01-01 00:00:00.000000")
    assert store.get(1, 0, "globex") == Group(1, 0, "globex", {}, "2026-01-01 00:00:00.000000")


def test_groupidentify_also_fills_groups_of_the_event(step: Step, store: SqliteGroupStore) -> None:
    event = _event(
        {
            "$groups": {"company": "acme", "team": "core"},
            "$group_type": "company",
            "$group_key": "acme",
            "$group_set": {"a": 1},
        },
        name="$groupidentify",
    )
    _run(step, store, event)
    assert event.groups == ["acme", "core", "", "", ""]
    assert store.get(1, 0, "acme") == Group(1, 0, "acme", {"a": 1}, "2026-01-01 00:00:00.000000")


@pytest.mark.parametrize(
    ("properties", "details"),
    [
        ({"$group_key": "acme"}, {"field": "$group_type", "value": None}),
        ({"$group_type": "", "$group_key": "acme"}, {"field": "$group_type", "value": ""}),
        ({"$group_type": "company"}, {"field": "$group_key", "value": None}),
        (
            {"$group_type": "company", "$group_key": {"id": 1}},
            {"field": "$group_key", "value": {"id": 1}},
        ),
    ],
)
def test_invalid_groupidentify_warns_and_keeps_the_event(
    step: Step,
    store: SqliteGroupStore,
    warnings: WarningSink,
    properties: dict[str, Any],
    details: dict[str, Any],
) -> None:
    event = _event({**properties, "$group_set": {"a": 1}}, name="$groupidentify")
    _run(step, store, event)
    assert warnings.items == [Warning(1, "invalid_group_identify", "u-1", details)]
    assert event.groups == ["", "", "", "", ""]
    assert store.types(1) == {}


def test_groupidentify_of_a_sixth_type_warns_and_stores_nothing(
    step: Step, store: SqliteGroupStore, warnings: WarningSink
) -> None:
    five = _event({"$groups": {f"t{i}": "k" for i in range(5)}})
    identify = _event(
        {"$group_type": "extra", "$group_key": "x", "$group_set": {"a": 1}},
        name="$groupidentify",
        uuid="u-2",
    )
    _run(step, store, five, identify)
    assert identify.groups == ["", "", "", "", ""]
    assert warnings.items == [Warning(1, "group_type_limit", "u-2", {"group_type": "extra"})]
    assert store.types(1) == {f"t{i}": i for i in range(5)}


def test_nothing_persisted_when_the_batch_fails(tmp_path: Path) -> None:
    store = SqliteGroupStore(tmp_path / "groups.sqlite3")
    step = groups_step(store, WarningSink())
    identify = _event(
        {"$group_type": "company", "$group_key": "acme", "$group_set": {"a": 1}},
        name="$groupidentify",
    )
    with pytest.raises(RuntimeError), store.transaction():
        assert step(identify) == OK
        raise RuntimeError("batch failed")
    store.close()
    reopened = SqliteGroupStore(tmp_path / "groups.sqlite3")
    assert reopened.types(1) == {}
    assert reopened.get(1, 0, "acme") is None
    reopened.close()


def test_group_string() -> None:
    assert [group_string(v) for v in ["a", 7, -1, 3.0, 1.25, False, None, [1], {}]] == [
        "a",
        "7",
        "-1",
        "3",
        "1.25",
        "false",
        "",
        "",
        "",
    ]
