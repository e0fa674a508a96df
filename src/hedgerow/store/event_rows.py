"""A batch of events as the Arrow table the store's INSERT reads (chDB's `Python()` table
function), one column per column of the events table it fills."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import pyarrow as pa

from hedgerow.event import IngestEvent


def events_arrow(events: Sequence[IngestEvent]) -> pa.Table:
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
