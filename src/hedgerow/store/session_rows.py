"""A batch's sessions, aggregated in Python from the events the store inserts: one row per
(project, `$session_id`), from which the sessions table's states are built (the store keeps
the rows in memory across batches and merges them: `session_buffer.py`).

The events carry their parsed properties, so reading a property here is a dict lookup, where
ClickHouse would parse the JSON text of every event again. A property is read as its text
form, exactly as the events table's columns read it (`property_text.py`).

One pass over the batch groups the events by session (one dict lookup each); then each
session's few events, sorted by time, give its row (sessions_schema.py says what each column
keeps): the earliest and latest timestamp, the first event's attribution values
(`FIRST_EVENT_PROPERTIES`), the latest event's distinct id, the entry and exit URL with
their timestamps, each of `FIRST_SEEN_PROPERTIES` with the timestamp of the first event
that has it (the scan stops once all are found, usually at the first event), and the uuids
of its page views and autocaptures. Ties keep the event met first in the batch, as
ClickHouse's `argMin`/`argMax` keep the value they saw first (the sort is stable).
Timestamps are the store's fixed-width text ('YYYY-MM-DD HH:MM:SS.ffffff'), so they compare
as strings.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import pyarrow as pa

from hedgerow.event import IngestEvent
from hedgerow.store.property_text import text_form
from hedgerow.store.sessions_schema import FIRST_EVENT_PROPERTIES, FIRST_SEEN_PROPERTIES

_TIME = attrgetter("timestamp")
_FIRST_EVENT_KEYS = tuple(FIRST_EVENT_PROPERTIES.values())
_FIRST_SEEN_KEYS = tuple(FIRST_SEEN_PROPERTIES.values())
_ABSENT = ("",) * len(_FIRST_EVENT_KEYS)

SessionKey = tuple[int, str]  # (project, session id text form)
SessionEvents = dict[SessionKey, list[IngestEvent]]
SessionRow = list[Any]  # the values of `COLUMNS`, in order


def group_sessions(events: Sequence[IngestEvent]) -> SessionEvents:
    """The batch's events with a `$session_id`, by (project, session id text form)."""
    sessions: SessionEvents = {}
    for event in events:
        session_id = event.properties.get("$session_id")
        if type(session_id) is not str:
            session_id = text_form(session_id)
        if not session_id:
            continue
        key = (event.team_id, session_id)
        group = sessions.get(key)
        if group is None:
            sessions[key] = [event]
        else:
            group.append(event)
    return sessions


# The columns of a session's row, in order (what `sessions_insert_sql` reads).
COLUMNS = (
    "team_id",
    "session_id",
    "distinct_id",
    "min_timestamp",
    "max_timestamp",
    "entry_url",
    "entry_ts",
    "end_url",
    "end_ts",
    *FIRST_EVENT_PROPERTIES,
    *FIRST_SEEN_PROPERTIES,
    *(f"{column}_ts" for column in FIRST_SEEN_PROPERTIES),
    "pageview_uuids",
    "autocapture_uuids",
)
_TEXT, _UUIDS = pa.string(), pa.list_(pa.string())
_TYPES = {"team_id": pa.int64(), "pageview_uuids": _UUIDS, "autocapture_uuids": _UUIDS}


def _url(event: IngestEvent) -> str:
    url = event.properties.get("$current_url", "")
    return url if type(url) is str else text_form(url)


def session_rows(sessions: SessionEvents) -> dict[SessionKey, SessionRow]:
    """Each session's row, from its events."""
    return {key: _row(key[0], key[1], group) for key, group in sessions.items()}


def sessions_arrow(rows: Sequence[SessionRow]) -> pa.Table:
    """The rows `sessions_schema.sessions_insert_sql` reads, one per session. Every column
    is typed: a column of nothing but None would otherwise have no type."""
    columns = zip(*rows, strict=True) if rows else ([] for _ in COLUMNS)
    return pa.table(
        {
            name: pa.array(values, _TYPES.get(name, _TEXT))
            for name, values in zip(COLUMNS, columns, strict=True)
        }
    )


def _row(team_id: int, session_id: str, group: list[IngestEvent]) -> SessionRow:
    ordered = sorted(group, key=_TIME) if len(group) > 1 else group
    first, last = ordered[0], max(group, key=_TIME)
    entry = next((e for e in ordered if _url(e)), None)
    end = _last_with_url(ordered)
    seen, seen_at = _first_seen(ordered)
    return [
        team_id,
        session_id,
        last.distinct_id,
        first.timestamp,
        last.timestamp,
        _url(entry) if entry else None,
        entry.timestamp if entry else first.timestamp,
        _url(end) if end else None,
        end.timestamp if end else last.timestamp,
        *[  # absent: '' (most are), without a call
            v if type(v) is str else text_form(v)
            for v in map(first.properties.get, _FIRST_EVENT_KEYS, _ABSENT)
        ],
        *seen,
        *seen_at,
        [e.uuid for e in group if e.event == "$pageview"],
        [e.uuid for e in group if e.event == "$autocapture"],
    ]


def _last_with_url(ordered: list[IngestEvent]) -> IngestEvent | None:
    """The latest event that has a URL; of several at that time, the first in the batch."""
    found = None
    for event in reversed(ordered):
        if found is not None and event.timestamp != found.timestamp:
            break
        if _url(event):
            found = event
    return found


def _first_seen(ordered: list[IngestEvent]) -> tuple[list[str | None], list[str]]:
    """Each first-seen property of the earliest event that has it, and that event's time
    (None and the session's start when no event has it)."""
    values: list[str | None] = [None] * len(_FIRST_SEEN_KEYS)
    times = [ordered[0].timestamp] * len(_FIRST_SEEN_KEYS)
    missing = len(values)
    for event in ordered:
        get = event.properties.get
        for i, name in enumerate(_FIRST_SEEN_KEYS):
            if values[i] is None:
                value = get(name, "")
                if value != "" and (text := value if type(value) is str else text_form(value)):
                    values[i], times[i] = text, event.timestamp
                    missing -= 1
        if not missing:
            break
    return values, times
