"""Deleting from the event store: a person's rows (erasure) and events older than a
project's retention period.

Events go with ClickHouse's lightweight `DELETE FROM`, one month partition at a time (the
table is partitioned by `toYYYYMM(timestamp)`), so that a long delete reports progress and
a job interrupted by a restart goes on from the partition it reached; deleting twice is
harmless. `bench/erasure.py` measured it against an `ALTER TABLE ... DELETE` mutation
(docs/benchmarks.md): about 15x faster for one person, and reads stay as fast. The events
table's `first_seen` projection is rebuilt for the parts a delete touches (the table setting
`lightweight_mutation_projection_mode = 'rebuild'`, set when the store opens).

The sessions table (kept by the store's inserts, never on deletes) loses the
sessions of the events deleted, first: each whole session that has any of them, so no entry
URL, referrer or UTM value of an erased person or of an expired visit stays behind. The web
analytics pre-aggregate loses the days of the events deleted (`web_daily_schema.py`), also
first; the background chore builds them again from what is left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE, OVERRIDE_MAP, OVERRIDES, quote_string
from hedgerow.store.sessions_schema import SESSIONS_TABLE
from hedgerow.store.web_daily_schema import forget_days, forget_days_of


@dataclass(frozen=True)
class PersonRows:
    """What identifies a person's events: its person ids (its own, those merged into it,
    the deterministic ids of its distinct ids) and distinct ids, among the events captured
    up to `captured_until` (the store's `created_at` text)."""

    team_id: int
    person_ids: Sequence[str]
    distinct_ids: Sequence[str]
    captured_until: str

    def condition(self) -> str:
        ids = ", ".join(f"toUUID({quote_string(p)})" for p in self.person_ids) or "NULL"
        dids = ", ".join(quote_string(d) for d in self.distinct_ids) or "NULL"
        return (
            f"team_id = {int(self.team_id)} AND (person_id IN ({ids}) OR distinct_id IN "
            f"({dids})) AND created_at <= toDateTime64({quote_string(self.captured_until)}, 6)"
        )


def partitions(store: ChdbEventStore, team_id: int) -> list[str]:
    """The month partitions (`YYYYMM`) that hold a project's events, oldest first."""
    rows = store.run(
        "SELECT DISTINCT toString(toYYYYMM(timestamp)) AS p FROM "
        f"{DATABASE}.events WHERE team_id = {int(team_id)} ORDER BY p"
    ).rows
    return [str(r[0]) for r in rows]


def event_uuids(store: ChdbEventStore, rows: PersonRows, partition: str) -> list[str]:
    """The uuids of the person's events in one partition (to clear warnings about them)."""
    found = store.run(
        f"SELECT toString(uuid) FROM {DATABASE}.events "
        f"WHERE _partition_id = {quote_string(partition)} AND {rows.condition()}"
    ).rows
    return [str(r[0]) for r in found]


def delete_person_events(store: ChdbEventStore, rows: PersonRows, partition: str) -> int:
    """Delete the person's events in one partition; return how many there were."""
    where = rows.condition()
    part = quote_string(partition)
    count = int(
        store.run(
            f"SELECT count() FROM {DATABASE}.events WHERE _partition_id = {part} AND {where}"
        ).rows[0][0]
    )
    if count:
        days = forget_days_of(store.run, rows.team_id, f"_partition_id = {part} AND {where}")
        _delete_sessions(store, rows.team_id, f"_partition_id = {part} AND {where}")
        store.run(f"DELETE FROM {DATABASE}.events IN PARTITION {part} WHERE {where}")
        if days:
            forget_days(store.run, rows.team_id, *days)
    return count


def _delete_sessions(store: ChdbEventStore, team_id: int, events_where: str) -> None:
    """Delete the sessions of the events that `events_where` selects (before those go),
    after writing the sessions the store buffered (rows of those events among them would
    otherwise be written after the delete)."""
    store.flush_sessions()
    store.run(
        f"DELETE FROM {SESSIONS_TABLE} WHERE team_id = {int(team_id)} AND session_id IN ("
        f"SELECT DISTINCT `$session_id` FROM {DATABASE}.events WHERE {events_where} "
        "AND `$session_id` != '')"
    )


def erase_person_rows(
    store: ChdbEventStore, team_id: int, person_ids: Sequence[str], distinct_ids: Sequence[str]
) -> None:
    """Remove persons from the person mirror, with their distinct ids and overrides (both
    ways), waiting until they are gone."""
    if not person_ids and not distinct_ids:
        return
    team = int(team_id)
    ids = ", ".join(f"toUUID({quote_string(p)})" for p in person_ids) or "NULL"
    dids = ", ".join(quote_string(d) for d in distinct_ids) or "NULL"
    store.run(f"DELETE FROM {DATABASE}.persons WHERE team_id = {team} AND id IN ({ids})")
    store.run(
        f"DELETE FROM {DATABASE}.person_distinct_ids WHERE team_id = {team} AND "
        f"(distinct_id IN ({dids}) OR person_id IN ({ids}))"
    )
    where = f"team_id = {team} AND (old_person_id IN ({ids}) OR person_id IN ({ids}))"
    store.run(f"DELETE FROM {DATABASE}.{OVERRIDES} WHERE {where}")
    store.run(
        f"ALTER TABLE {DATABASE}.{OVERRIDE_MAP} DELETE WHERE {where} SETTINGS mutations_sync = 2"
    )
    store.reload_index_map()


def delete_older_than(store: ChdbEventStore, team_id: int, cutoff: str) -> int:
    """Delete a project's events whose timestamp is before `cutoff` (the store's text form);
    return how many there were."""
    where = f"team_id = {int(team_id)} AND timestamp < toDateTime64({quote_string(cutoff)}, 6)"
    count = int(store.run(f"SELECT count() FROM {DATABASE}.events WHERE {where}").rows[0][0])
    if count:
        days = forget_days_of(store.run, team_id, where)
        _delete_sessions(store, team_id, where)
        store.run(f"DELETE FROM {DATABASE}.events WHERE {where}")
        if days:
            forget_days(store.run, team_id, *days)
    return count
