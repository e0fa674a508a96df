"""`hedgerow migrate --to`: the phases of a migration in order, each skipped when the
checkpoint says it is done, then the counts of both sides compared and printed.

1. app tables -> PostgreSQL (one transaction); 2. persons and groups -> PostgreSQL (windows);
3. events -> the ClickHouse server (windows planned once); 4. the person mirror, the
overrides and the sessions -> the server; 5. the sessions' watermark recorded; 6. counts.
Phases 1-2 run with `--persons-url`, 3-5 with `--events-url`; either alone is a migration
of that store only (the other stays in the data directory).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from clickhouse_connect.driver.exceptions import ClickHouseError

from hedgerow.migration.checkpoint import Checkpoint, CheckpointFile
from hedgerow.migration.clickhouse_copy import (
    MigrationFailed,
    copy_events,
    copy_other_tables,
    holds_data,
    mark_sessions_written,
    open_target,
    other_tables_total,
    plan_event_windows,
)
from hedgerow.migration.counts import HEADER, Count, clickhouse_counts, postgres_counts
from hedgerow.migration.event_windows import Window
from hedgerow.migration.source import EmbeddedSource, MigrationRefused, open_source
from hedgerow.migration.to_postgres import (
    PostgresTarget,
    app_tables_total,
    copy_app_tables,
    copy_persons,
    persons_total,
)
from hedgerow.postgres import without_password
from hedgerow.row_progress import RowProgress, row_progress
from hedgerow.settings import Settings
from hedgerow.store.clickhouse_server import ClickHouseServerEventStore
from hedgerow.store.events import QueryFailed

DEFAULT_WINDOW_ROWS = 100_000


@dataclass
class Targets:
    postgres: PostgresTarget | None
    clickhouse: ClickHouseServerEventStore | None

    def close(self) -> None:
        if self.postgres is not None:
            self.postgres.close()
        if self.clickhouse is not None:
            self.clickhouse.close()


def run_migrate_to(settings: Settings, window_rows: int | None, *, no_progress: bool) -> int:
    persons_url, events_url = settings.persons.persons_url, settings.storage.events_url
    if not persons_url and not events_url:
        _say(
            "nothing to migrate to: name the servers with --persons-url postgresql://... "
            "(persons and app tables) and/or --events-url clickhouse://... (events), or their "
            "HEDGEROW_PERSONS_URL / HEDGEROW_EVENTS_URL"
        )
        return 2
    if window_rows is not None and window_rows < 1:
        _say("--window-rows must be at least 1")
        return 2
    data_dir = settings.storage.data_dir
    file = CheckpointFile(data_dir)
    names = (
        without_password(persons_url) if persons_url else "",
        without_password(events_url) if events_url else "",
    )
    try:
        checkpoint = file.load()
        if checkpoint is not None and (checkpoint.persons_url, checkpoint.events_url) != names:
            raise MigrationRefused(
                f"{file.path} records a migration to {_targets(checkpoint)}: run it again with "
                "the same URLs to finish it, or delete that file to start over into new, "
                "empty databases."
            )
        source = open_source(data_dir)
    except MigrationRefused as exc:
        _say(str(exc))
        return 2
    try:
        return _migrate(source, file, checkpoint, names, window_rows, no_progress, settings)
    except MigrationRefused as exc:
        _say(str(exc))
        return 2
    except (MigrationFailed, QueryFailed, psycopg.Error, ClickHouseError) as exc:
        _say(f"{exc}\nThe migration stopped; run the same command again to continue it.")
        return 1
    finally:
        source.close()


def _migrate(
    source: EmbeddedSource,
    file: CheckpointFile,
    checkpoint: Checkpoint | None,
    names: tuple[str, str],
    window_rows: int | None,
    no_progress: bool,
    settings: Settings,
) -> int:
    persons_url, events_url = settings.persons.persons_url, settings.storage.events_url
    targets = Targets(PostgresTarget(persons_url) if persons_url else None, None)
    try:
        targets.clickhouse = open_target(events_url) if events_url else None
        if checkpoint is None:
            _refuse_occupied(targets)
            checkpoint = Checkpoint(*names, window_rows or DEFAULT_WINDOW_ROWS)
            file.save(checkpoint)
        elif window_rows is not None and window_rows != checkpoint.window_rows:
            print(f"continuing in the windows planned before ({checkpoint.window_rows} rows)")
        current = checkpoint

        def save() -> None:
            file.save(current)

        _copy(source, targets, checkpoint, save, no_progress)
        counts = _counts(source, targets)
        print(HEADER)
        print("\n".join(count.line() for count in counts))
        if not all(count.matches for count in counts):
            _say(
                "the servers do not hold what the installation holds (DIFFERS above); the "
                "installation is unchanged. Look for another process writing to the servers."
            )
            return 1
        checkpoint.finished = True
        file.save(checkpoint)
        print(f"migrated {source.data_dir} to {_targets(checkpoint)}.")
        print(
            "Start the processes with these URLs (docs/deploy.md); the data directory stays "
            "as it was."
        )
        return 0
    finally:
        targets.close()


@contextmanager
def _phase(label: str, total: int, no_progress: bool) -> Iterator[RowProgress]:
    """A phase's progress bar, and a line with its rows and time once it is done."""
    started = time.monotonic()
    with row_progress(label, total, disabled=no_progress) as progress:
        yield progress
    seconds = time.monotonic() - started
    print(f"{label}: {total:,} rows in {seconds:.1f} s", flush=True)


def _copy(
    source: EmbeddedSource,
    targets: Targets,
    checkpoint: Checkpoint,
    save: Callable[[], None],
    no_progress: bool,
) -> None:
    if (pg := targets.postgres) is not None:
        if not checkpoint.app_tables_done:
            with _phase("app tables", app_tables_total(source), no_progress) as p:
                copy_app_tables(pg, source, p)
            checkpoint.app_tables_done = True
            save()
        if not checkpoint.persons_done:
            with _phase("persons", persons_total(source), no_progress) as p:
                copy_persons(pg, source, checkpoint, save, p)
    if (ch := targets.clickhouse) is not None:
        if checkpoint.event_windows is None:
            planned = plan_event_windows(source.events, checkpoint.window_rows)
            checkpoint.event_windows = [w.as_list() for w in planned]
            save()
        windows = [Window.from_list(w) for w in checkpoint.event_windows]
        if checkpoint.next_event_window < len(windows):
            with _phase("events", sum(w.rows for w in windows), no_progress) as p:
                copy_events(source.events, ch, checkpoint, save, p)
        if not checkpoint.event_tables_done:
            total = other_tables_total(source.events)
            with _phase("mirror, sessions", total, no_progress) as p:
                copy_other_tables(source.events, ch, checkpoint, save, p)
        if not checkpoint.sessions_done:
            mark_sessions_written(ch, checkpoint)
            save()


def _refuse_occupied(targets: Targets) -> None:
    occupied = []
    if targets.postgres is not None and (tables := targets.postgres.holds_data()):
        occupied.append(f"PostgreSQL ({', '.join(tables)})")
    if targets.clickhouse is not None and (tables := holds_data(targets.clickhouse)):
        occupied.append(f"ClickHouse ({', '.join(tables)})")
    if occupied:
        raise MigrationRefused(
            f"the target already holds an installation's rows: {'; '.join(occupied)}. A "
            "migration goes into empty databases only: create a new PostgreSQL database "
            "(createdb) and/or drop the `hedgerow` database of the ClickHouse server (DROP "
            "DATABASE hedgerow), or point the URLs at empty ones."
        )


def _counts(source: EmbeddedSource, targets: Targets) -> list[Count]:
    counts = []
    if targets.postgres is not None:
        counts += postgres_counts(source, targets.postgres)
    if targets.clickhouse is not None:
        counts += clickhouse_counts(source, targets.clickhouse)
    return counts


def _targets(checkpoint: Checkpoint) -> str:
    named = [u for u in (checkpoint.persons_url, checkpoint.events_url) if u]
    return " and ".join(named)


def _say(message: str) -> None:
    print(f"hedgerow: {message}", file=sys.stderr)
