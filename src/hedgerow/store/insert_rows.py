"""The rows the event store inserts, as Arrow tables, and the INSERT ... SELECT that reads
each: a function of the table expression that yields the rows (`Python(table)` in chDB,
`input(...)` on a ClickHouse server), so that both stores run the same statements."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import orjson
import pyarrow as pa

from hedgerow.event import IngestEvent
from hedgerow.persons.store import MirrorRow, Override
from hedgerow.store.schema import DATABASE, OVERRIDE_MAP, OVERRIDES

# An INSERT ... SELECT of the rows that a table expression yields.
Statement = Callable[[str], str]


def events_table(events: Sequence[IngestEvent]) -> pa.Table:
    dumps = orjson.dumps
    # Events of one person that changed nothing share their person properties (the
    # person step's snapshot): each distinct dict is serialized once per batch.
    texts: dict[int, str] = {}
    person_properties = []
    for e in events:
        text = texts.get(id(e.person_properties))
        if text is None:
            text = texts[id(e.person_properties)] = dumps(e.person_properties).decode()
        person_properties.append(text)
    return pa.table(
        {
            "uuid": [e.uuid for e in events],
            "team_id": pa.array([e.team_id for e in events], pa.int64()),
            "event": [e.event for e in events],
            "distinct_id": [e.distinct_id for e in events],
            "timestamp": [e.timestamp for e in events],
            "created_at": [e.now for e in events],
            "properties": [dumps(e.properties).decode() for e in events],
            "elements_chain": [e.elements_chain for e in events],
            "person_id": [e.person_id for e in events],
            "person_idx": pa.array([e.person_idx for e in events], pa.uint64()),
            "person_properties": person_properties,
            "person_created_at": [e.person_created_at for e in events],
            "person_mode": [e.person_mode for e in events],
            "group_0": [e.groups[0] for e in events],
            "group_1": [e.groups[1] for e in events],
            "group_2": [e.groups[2] for e in events],
            "group_3": [e.groups[3] for e in events],
            "group_4": [e.groups[4] for e in events],
        }
    )


def events_insert(dedup_token: str) -> Statement:
    """One batch's events, deduplicated by the batch's token."""
    token = re.sub(r"[^A-Za-z0-9_.-]", "_", dedup_token)
    return lambda source: (
        f"INSERT INTO {DATABASE}.events (uuid, team_id, event, distinct_id, timestamp, "
        "created_at, properties, elements_chain, person_id, person_idx, person_properties, "
        "person_created_at, person_mode, `$group_0`, `$group_1`, `$group_2`, `$group_3`, "
        f"`$group_4`) SETTINGS insert_deduplication_token = '{token}', insert_deduplicate = 1 "
        "SELECT uuid, team_id, event, distinct_id, timestamp, created_at, properties, "
        "elements_chain, person_id, person_idx, person_properties, person_created_at, "
        f"person_mode, group_0, group_1, group_2, group_3, group_4 FROM {source}"
    )


def overrides_table(overrides: Sequence[Override]) -> pa.Table:
    return pa.table(
        {
            "team_id": pa.array([o.team_id for o in overrides], pa.int64()),
            "old_person_id": [o.old_person_id for o in overrides],
            "person_id": [o.person_id for o in overrides],
            "version": pa.array([o.version for o in overrides], pa.int64()),
            "old_person_idx": pa.array([o.old_person_idx for o in overrides], pa.uint64()),
            "person_idx": pa.array([o.person_idx for o in overrides], pa.uint64()),
        }
    )


def overrides_insert(source: str) -> str:
    """The durable overrides table."""
    return (
        f"INSERT INTO {DATABASE}.{OVERRIDES} (team_id, old_person_id, person_id, version, "
        "old_person_idx, person_idx) SELECT team_id, old_person_id, person_id, version, "
        f"old_person_idx, person_idx FROM {source}"
    )


def override_map_insert(source: str) -> str:
    """The override map (a Join table: of an old person's rows, the last inserted counts)."""
    return (
        f"INSERT INTO {DATABASE}.{OVERRIDE_MAP} (team_id, old_person_id, person_id, version) "
        f"SELECT team_id, old_person_id, person_id, version FROM {source} ORDER BY version"
    )


def mirror_persons_table(persons: Sequence[MirrorRow]) -> pa.Table:
    return pa.table(
        {
            "team_id": pa.array([r.team_id for r in persons], pa.int64()),
            "id": [r.person_id for r in persons],
            "properties": [r.properties for r in persons],
            "is_identified": pa.array([int(r.is_identified) for r in persons], pa.uint8()),
            "created_at": [r.created_at for r in persons],
            "version": pa.array([r.version for r in persons], pa.int64()),
            "is_deleted": pa.array([int(r.is_deleted) for r in persons], pa.uint8()),
        }
    )


def mirror_persons_insert(source: str) -> str:
    return (
        f"INSERT INTO {DATABASE}.persons SELECT team_id, id, properties, is_identified, "
        f"created_at, version, is_deleted FROM {source}"
    )


def mirror_ids_table(ids: Sequence[MirrorRow]) -> pa.Table:
    return pa.table(
        {
            "team_id": pa.array([r.team_id for r in ids], pa.int64()),
            "distinct_id": [r.distinct_id for r in ids],
            "person_id": [r.person_id for r in ids],
            "version": pa.array([r.version for r in ids], pa.int64()),
        }
    )


def mirror_ids_insert(source: str) -> str:
    return (
        f"INSERT INTO {DATABASE}.person_distinct_ids SELECT team_id, distinct_id, person_id, "
        f"version FROM {source}"
    )
