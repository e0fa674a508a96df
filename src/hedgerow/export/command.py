"""`hedgerow export`: an events query of one project to a file, with a progress bar.

It reads the data directory's event store itself (like `project create` and `users`), so it
runs while no `hedgerow serve`, `ingest` or `web` has the embedded store open; against a
running server, the same export is `POST /api/projects/:id/exports/` (docs/api.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hedgerow.app_tables.connection import close_app_tables, open_app_tables
from hedgerow.audit import CLI, AuditLog
from hedgerow.errors import BadRequest
from hedgerow.export.files import export_to_file
from hedgerow.export.formats import FORMATS, ExportFormat
from hedgerow.export.source import counted_source
from hedgerow.query.core import QueryEnv
from hedgerow.row_progress import row_progress
from hedgerow.settings import Settings
from hedgerow.store.events import QueryFailed

if TYPE_CHECKING:
    from hedgerow.app_tables.connection import AppTables
    from hedgerow.projects import Project


def add_export_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = commands.add_parser(
        "export",
        help="Export a project's events (filters or SQL) to CSV, JSON lines or Parquet.",
    )
    export.add_argument("--format", choices=FORMATS, required=True)
    export.add_argument("--project", type=int, required=True, help="The project's id.")
    export.add_argument("--event", default=None, help="Only events of this name.")
    export.add_argument("--after", default=None, help="Only events after this ISO time.")
    export.add_argument("--before", default=None, help="Only events before this ISO time.")
    export.add_argument("--sql", default=None, help="Export this SQL query's rows instead.")
    export.add_argument("--data-dir", dest="data_dir", default=None)
    export.add_argument("--no-progress", action="store_true", help="Print no progress bar.")
    export.add_argument("output", help="The file to write (replaced when complete).")
    export.set_defaults(func=run_export)


def _query(args: argparse.Namespace) -> dict[str, Any]:
    if args.sql is not None:
        if args.event or args.after or args.before:
            raise BadRequest("--sql cannot be combined with --event, --after or --before.")
        return {"kind": "HogQLQuery", "query": args.sql}
    query: dict[str, Any] = {"kind": "EventsQuery"}
    for key in ("event", "after", "before"):
        if getattr(args, key) is not None:
            query[key] = getattr(args, key)
    return query


def run_export(args: argparse.Namespace) -> int:
    from hedgerow.projects import ProjectCatalog

    settings = Settings.load({"data_dir": Path(args.data_dir) if args.data_dir else None})
    data_dir = settings.storage.data_dir
    tables = open_app_tables(settings)
    try:
        catalog = ProjectCatalog(tables)
        project = catalog.by_id(args.project)
        catalog.close()
        if project is None:
            print(f"hedgerow: no project {args.project} in {data_dir}", file=sys.stderr)
            return 1
        return _export(args, settings, tables, project)
    finally:
        close_app_tables(tables)


def _export(
    args: argparse.Namespace, settings: Settings, tables: AppTables, project: Project
) -> int:
    from hedgerow.processes import SplitRefused, open_event_store

    try:
        store = open_event_store(settings, "export")
    except SplitRefused as exc:
        print(f"hedgerow: {exc}", file=sys.stderr)
        return 2
    fmt: ExportFormat = args.format
    try:
        env = QueryEnv(store, project.id, project.timezone)
        source, total = counted_source(env, _query(args), settings.query.export_max_rows)
        with row_progress("exporting", total, disabled=args.no_progress) as bar:
            export_to_file(store, source, fmt, Path(args.output), bar.advance)
    except (BadRequest, QueryFailed) as exc:
        print(f"hedgerow: {exc}", file=sys.stderr)
        return 1
    finally:
        store.close()
    log = AuditLog(tables)
    log.record(
        CLI,
        "export_run",
        "Export",
        project_id=project.id,
        organization_id=project.organization_id,
        format=fmt,
        query_kind=_query(args)["kind"],
        rows=total,
    )
    log.close()
    print(f"{total} rows written to {args.output}", file=sys.stderr)
    return 0
