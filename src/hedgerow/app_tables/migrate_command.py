"""`hedgerow migrate`: apply the PostgreSQL schema migrations (persons, groups, the app
tables and the ingestion bookkeeping several workers share) of `--persons-url`, and exit.

Every process applies them at start too, under an advisory lock; this command lets a
deployment do it as a step of its own (before starting new versions of the processes, or
with a role allowed to create tables while the processes run with one that is not).
The embedded stores (SQLite, chDB) upgrade themselves when opened: nothing to do for them.

`hedgerow migrate --to` moves an embedded installation onto the servers instead
(`hedgerow.migration`).
"""

from __future__ import annotations

import argparse
import sys

from hedgerow.settings import Settings, SettingsError, add_arguments


def run_migrate(args: argparse.Namespace) -> int:
    try:
        settings = Settings.load(vars(args))
    except SettingsError as exc:
        print(f"hedgerow: {exc}", file=sys.stderr)
        return 2
    if args.to:
        from hedgerow.migration.command import run_migrate_to

        return run_migrate_to(settings, args.window_rows, no_progress=args.no_progress)
    url = settings.persons.persons_url
    if not url:
        print(
            "hedgerow: nothing to migrate: without --persons-url (HEDGEROW_PERSONS_URL) every "
            "store is embedded in the data directory and upgrades itself when opened.",
            file=sys.stderr,
        )
        return 0
    from hedgerow.app_tables import postgres_schema as app_schema
    from hedgerow.ingestion import postgres_bookkeeping as ingestion_schema
    from hedgerow.persons import postgres_schema as persons_schema
    from hedgerow.postgres import PostgresUnavailable, migrate, open_pool

    try:
        pool = open_pool(url, 1, "hedgerow-migrate")
    except PostgresUnavailable as exc:
        print(f"hedgerow: {exc}", file=sys.stderr)
        return 1
    try:
        for component, migrations in (
            (persons_schema.COMPONENT, persons_schema.MIGRATIONS),
            (app_schema.COMPONENT, app_schema.MIGRATIONS),
            (ingestion_schema.COMPONENT, ingestion_schema.MIGRATIONS),
        ):
            applied = migrate(pool, component, migrations)
            print(
                f"{component}: {applied} migration(s) applied; "
                f"schema at version {migrations[-1].version}"
            )
    finally:
        pool.close()
    return 0


def add_migrate_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "migrate",
        help="Apply the PostgreSQL schema migrations of --persons-url (persons, the app's "
        "tables, the ingestion bookkeeping) and exit; every process also applies them at "
        "start. With --to: move the embedded installation of --data-dir onto the servers.",
    )
    command.add_argument(
        "--to",
        action="store_true",
        help="Copy the embedded installation of --data-dir (stopped) onto the servers of "
        "--persons-url (app tables, persons) and/or --events-url (events), resumably.",
    )
    command.add_argument(
        "--window-rows",
        type=int,
        default=None,
        help="With --to: rows copied per window, each committed and checkpointed (default "
        "100000; a resumed migration keeps the windows it planned).",
    )
    command.add_argument("--no-progress", action="store_true", help="Print no progress bars.")
    add_arguments(command)
    command.set_defaults(func=run_migrate)
