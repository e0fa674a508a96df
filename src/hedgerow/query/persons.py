"""What the events say about persons: when each was last seen."""

from __future__ import annotations

from collections.abc import Sequence

from hedgerow.query.core import person_source
from hedgerow.query.events_query import iso_timestamp
from hedgerow.query.sql import SqlParams
from hedgerow.store.events import EventStore
from hedgerow.store.schema import EVENTS_TABLE


def last_seen(store: EventStore, team_id: int, person_ids: Sequence[str]) -> dict[str, str]:
    """The time of the latest event of each of these persons (after merges: events stored
    under a merged-away person count as the survivor), in one query. Persons without events
    are left out."""
    if not person_ids:
        return {}
    params = SqlParams()
    person = person_source(store, team_id)
    wanted = ", ".join(f"toUUID({params.string(pid)})" for pid in person_ids)
    sql = (
        f"SELECT toString({person}) AS pid, max(timestamp) FROM {EVENTS_TABLE} "
        f"WHERE team_id = {params.integer(team_id)} AND {person} IN ({wanted}) "
        "GROUP BY pid"
    )
    rows = store.query(sql, params.values).rows
    return {pid: iso_timestamp(stamp) for pid, stamp in rows}
