"""Session rows kept in memory across batches: each batch's rows (`session_rows.py`) merged
into those of the batches before, so that a session whose events come in many batches is
one row of states per write instead of one per batch (`session_writer.py` writes them).

Merging two rows of a session gives the row of their events together, as ClickHouse's merge
of their states would: the earliest start and the latest end; the distinct id of the latest
event; the first event's attribution values; the entry URL (and each first-seen value) of
the earliest row that has one, the exit URL of the latest; the uuids of both. A NULL URL or
first-seen value is no value (ClickHouse's `argMin`/`argMax` skip NULL). On a tie the row
merged into (the earlier batch) keeps its value, as a state merged into keeps its own.
"""

from __future__ import annotations

from collections.abc import Sequence

from hedgerow.event import IngestEvent
from hedgerow.store.session_rows import (
    COLUMNS,
    SessionKey,
    SessionRow,
    group_sessions,
    session_rows,
)
from hedgerow.store.sessions_schema import FIRST_EVENT_PROPERTIES, FIRST_SEEN_PROPERTIES

_AT = {name: i for i, name in enumerate(COLUMNS)}
_DISTINCT_ID, _START, _END = _AT["distinct_id"], _AT["min_timestamp"], _AT["max_timestamp"]
_ENTRY, _ENTRY_TS, _EXIT, _EXIT_TS = (
    _AT["entry_url"],
    _AT["entry_ts"],
    _AT["end_url"],
    _AT["end_ts"],
)
_FIRST_EVENT = [_AT[column] for column in FIRST_EVENT_PROPERTIES]
_FIRST_SEEN = [(_AT[column], _AT[f"{column}_ts"]) for column in FIRST_SEEN_PROPERTIES]
_UUIDS = [_AT["pageview_uuids"], _AT["autocapture_uuids"]]


def merge_row(into: SessionRow, row: SessionRow) -> None:
    """Merge `row` (a later batch's) into `into`, the session's row so far."""
    if row[_END] > into[_END]:
        into[_DISTINCT_ID], into[_END] = row[_DISTINCT_ID], row[_END]
    if row[_START] < into[_START]:
        into[_START] = row[_START]
        for i in _FIRST_EVENT:
            into[i] = row[i]
    if row[_ENTRY] is not None and (into[_ENTRY] is None or row[_ENTRY_TS] < into[_ENTRY_TS]):
        into[_ENTRY], into[_ENTRY_TS] = row[_ENTRY], row[_ENTRY_TS]
    if row[_EXIT] is not None and (into[_EXIT] is None or row[_EXIT_TS] > into[_EXIT_TS]):
        into[_EXIT], into[_EXIT_TS] = row[_EXIT], row[_EXIT_TS]
    for value, at in _FIRST_SEEN:
        if row[value] is not None and (into[value] is None or row[at] < into[at]):
            into[value], into[at] = row[value], row[at]
    for i in _UUIDS:
        if row[i]:
            into[i].extend(row[i])


class SessionBuffer:
    """The merged rows of the sessions of the batches added since the last `clear`."""

    def __init__(self) -> None:
        self.rows: dict[SessionKey, SessionRow] = {}
        self.events = 0  # events added since the last clear (with or without a session)

    def add(self, events: Sequence[IngestEvent]) -> None:
        self.events += len(events)
        rows = self.rows
        for key, row in session_rows(group_sessions(events)).items():
            kept = rows.get(key)
            if kept is None:
                rows[key] = row
            else:
                merge_row(kept, row)

    def clear(self) -> None:
        self.rows = {}
        self.events = 0
