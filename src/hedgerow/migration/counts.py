"""The check at the end of a migration: rows counted on both sides, table by table (events
project by project), printed as the migration's summary."""

from __future__ import annotations

from dataclasses import dataclass

from hedgerow.app_tables.connection import META_FILE
from hedgerow.migration.clickhouse_copy import OTHER_TABLES, count_rows
from hedgerow.migration.postgres_copy import (
    APP_TABLES,
    GROUP_TABLES,
    PERSON_TABLES,
    source_count,
    target_count,
)
from hedgerow.migration.source import GROUPS_FILE, PERSONS_FILE, EmbeddedSource
from hedgerow.migration.to_postgres import PostgresTarget
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.clickhouse_server import ClickHouseServerEventStore
from hedgerow.store.schema import DATABASE


@dataclass(frozen=True)
class Count:
    what: str
    installation: int
    server: int

    @property
    def matches(self) -> bool:
        return self.installation == self.server

    def line(self) -> str:
        mark = "ok" if self.matches else "DIFFERS"
        return f"  {self.what:<38} {self.installation:>12,} {self.server:>12,}  {mark}"


def postgres_counts(source: EmbeddedSource, target: PostgresTarget) -> list[Count]:
    counts = []
    for file, tables in (
        (META_FILE, APP_TABLES),
        (PERSONS_FILE, tuple(PERSON_TABLES)),
        (GROUPS_FILE, tuple(GROUP_TABLES)),
    ):
        conn = source.sqlite(file)
        try:
            for table in tables:
                counts.append(
                    Count(table, source_count(conn, table), target_count(target.conn, table))
                )
        finally:
            conn.close()
    return counts


def _per_project(store: ChdbEventStore) -> dict[int, int]:
    rows = store.run(
        f"SELECT team_id, count() FROM {DATABASE}.events GROUP BY team_id ORDER BY team_id"
    ).rows
    return {int(team): int(n) for team, n in rows}


def clickhouse_counts(source: EmbeddedSource, target: ClickHouseServerEventStore) -> list[Count]:
    mine, theirs = _per_project(source.events), _per_project(target)
    counts = [
        Count(f"events of project {team}", mine.get(team, 0), theirs.get(team, 0))
        for team in sorted(mine.keys() | theirs.keys())
    ]
    for table in OTHER_TABLES:
        counts.append(
            Count(
                f"{table} (ClickHouse)", count_rows(source.events, table), count_rows(target, table)
            )
        )
    return counts


HEADER = f"  {'rows':<38} {'installation':>12} {'servers':>12}"
