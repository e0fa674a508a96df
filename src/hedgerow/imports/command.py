"""`hedgerow import FILE...`: events from files into a project, through the ingestion
pipeline, with a progress bar, a checkpoint per file and a rejects report beside each file.

Like `hedgerow export`, it opens the data directory's stores itself, so it runs while no
`hedgerow serve`, `ingest` or `web` has the data directory open (it says so otherwise).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from hedgerow.audit import CLI, AuditLog
from hedgerow.imports.checkpoint import CheckpointFile
from hedgerow.imports.readers import (
    IMPORT_FORMATS,
    FormatUnknown,
    ImportFormat,
    RowReader,
    count_rows,
    detect_format,
    parse_mapping,
)
from hedgerow.row_progress import row_progress
from hedgerow.settings import Settings, SettingsError

if TYPE_CHECKING:
    from hedgerow.imports.runner import FileSummary
    from hedgerow.imports.stores import ImportStores
    from hedgerow.projects import ProjectCatalog


def add_import_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = commands.add_parser(
        "import",
        help="Import events from JSON lines, CSV or Parquet files (PostHog's batch export "
        "shape, or `hedgerow export`'s) through the ingestion pipeline.",
    )
    command.add_argument("files", nargs="+", metavar="FILE")
    command.add_argument("--project", type=int, required=True, help="The project's id.")
    command.add_argument(
        "--format", choices=IMPORT_FORMATS, default=None, help="Default: from each file's name."
    )
    command.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="CSV: read COLUMN as FIELD (uuid, event, distinct_id, timestamp, properties, "
        "set, set_once, elements_chain, created_at, or properties.NAME, set.NAME, "
        "set_once.NAME); repeatable.",
    )
    command.add_argument(
        "--map-file", default=None, help="CSV: a JSON object of column -> field mappings."
    )
    command.add_argument(
        "--restart", action="store_true", help="Read files from the start, whatever was done."
    )
    command.add_argument(
        "--batch-rows", type=int, default=2_000, help="Rows per intake entry (default 2000)."
    )
    command.add_argument("--data-dir", dest="data_dir", default=None)
    command.add_argument("--no-progress", action="store_true", help="Print no progress bar.")
    command.set_defaults(func=run_import)


def _mapping(args: argparse.Namespace) -> dict[str, str]:
    pairs: dict[str, str] = {}
    if args.map_file:
        loaded = orjson.loads(Path(args.map_file).read_bytes())
        if not isinstance(loaded, dict) or not all(isinstance(v, str) for v in loaded.values()):
            raise ValueError(f"{args.map_file}: give a JSON object of column -> field names")
        pairs.update(loaded)
    for item in args.map:
        column, equals, target = item.partition("=")
        if not equals or not column or not target:
            raise ValueError(f"--map {item}: give COLUMN=FIELD, e.g. --map user=distinct_id")
        pairs[column] = target
    return parse_mapping(pairs)


def _readers(args: argparse.Namespace, mapping: dict[str, str]) -> list[RowReader]:
    readers = []
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            raise ValueError(f"{path}: no such file")
        fmt: ImportFormat = args.format or detect_format(path)
        readers.append(RowReader(path, fmt, mapping))
    return readers


def run_import(args: argparse.Namespace) -> int:
    from hedgerow.imports.stores import open_import_stores
    from hedgerow.processes import SplitRefused
    from hedgerow.projects import ProjectCatalog

    try:
        settings = Settings.load({"data_dir": Path(args.data_dir) if args.data_dir else None})
        readers = _readers(args, _mapping(args))
    except (SettingsError, ValueError, FormatUnknown, OSError) as exc:
        print(f"hedgerow: {exc}", file=sys.stderr)
        return 2
    data_dir = settings.storage.data_dir
    if not (data_dir / "meta.sqlite3").is_file():
        print(
            f"hedgerow: {data_dir} holds no installation (start the server once)", file=sys.stderr
        )
        return 1
    catalog = ProjectCatalog(data_dir / "meta.sqlite3")
    try:
        project = catalog.by_id(args.project)
        if project is None:
            print(
                f"hedgerow: no project {args.project} in {data_dir} (start the server once, "
                "or `hedgerow project create`)",
                file=sys.stderr,
            )
            return 1
        try:
            stores = open_import_stores(settings, catalog)
        except SplitRefused as exc:
            print(f"hedgerow: {exc}", file=sys.stderr)
            return 2
        log = AuditLog(data_dir / "meta.sqlite3")  # an import is for embedded installations
        try:
            try:
                summaries = _import_all(args, stores, readers, data_dir, catalog, log)
            finally:
                stores.close()
            log.record(
                CLI,
                "import_run",
                "Import",
                project_id=project.id,
                organization_id=project.organization_id,
                files=[reader.path.name for reader in readers],
                **summaries,
            )
        finally:
            log.close()
    finally:
        catalog.close()
    return 0


def _import_all(
    args: argparse.Namespace,
    stores: ImportStores,
    readers: list[RowReader],
    data_dir: Path,
    catalog: ProjectCatalog,
    log: AuditLog,
) -> dict[str, int]:
    """Every file in turn, after what an interrupted import appended and the erasure jobs a
    stopped server left; the counts of the audit log's `import_run` entry."""
    from hedgerow.imports.runner import drain
    from hedgerow.lifecycle.job_audit import erasure_finished

    stores.erasure.on_finished = erasure_finished(log, catalog, CLI)
    drain(stores)  # what an interrupted import appended: not counted as this one's
    for job in stores.erasure.finish_pending():  # before any row of the files
        print(
            f"hedgerow: finished erasure job {job.id} (left unfinished by a stopped server) "
            "before importing",
            file=sys.stderr,
        )
    before = stores.state.outcomes(args.project)
    totals = {"rows": 0, "sent": 0, "stored_already": 0, "rejected": 0}
    for reader in readers:
        summary = _import_file(args, stores, reader, data_dir)
        _print_summary(summary)
        totals["rows"] += summary.rows
        totals["sent"] += summary.appended
        totals["stored_already"] += summary.already_stored
        totals["rejected"] += summary.rejected
    stores.worker.between_batches(lambda: None).result()  # person mirror published
    after = stores.state.outcomes(args.project)
    stored, discarded = _print_outcomes(before, after)
    return {**totals, "stored": stored, "discarded": sum(discarded.values())}


def _import_file(
    args: argparse.Namespace, stores: ImportStores, reader: RowReader, data_dir: Path
) -> FileSummary:
    from hedgerow.imports.runner import FileImport

    total = count_rows(reader.path, reader.fmt)
    checkpoints = CheckpointFile(data_dir, reader.path, args.project)
    rejects_path = reader.path.with_name(reader.path.name + ".rejects.jsonl")
    job = FileImport(
        stores, args.project, reader, checkpoints, rejects_path, batch_rows=args.batch_rows
    )
    with row_progress(f"importing {reader.path.name}", total, disabled=args.no_progress) as bar:
        summary = job.run(bar.advance, restart=args.restart)
        bar.set_total(summary.resumed_at + summary.rows)
    return summary


def _print_summary(summary: FileSummary) -> None:
    if summary.already_done:
        print(
            f"{summary.path}: imported already ({summary.resumed_at:,} rows); --restart reads "
            "it again (events stored already are left out)",
            file=sys.stderr,
        )
        return
    line = f"{summary.path}: {summary.rows:,} rows read"
    if summary.resumed_at:
        line += f" (resumed after row {summary.resumed_at:,})"
    line += f", {summary.appended:,} sent to ingestion, {summary.already_stored:,} stored already"
    line += f", {summary.rejected:,} rejected"
    if summary.rejected:
        reasons = ", ".join(f"{reason}: {n:,}" for reason, n in summary.reasons.most_common())
        line += f" ({reasons}; every row in {summary.rejects_path})"
    print(line, file=sys.stderr)
    if summary.ignored_columns:
        names = ", ".join(summary.ignored_columns)
        print(f"  columns read past (map them with --map): {names}", file=sys.stderr)


def _print_outcomes(
    before: dict[str, object], after: dict[str, object]
) -> tuple[int, dict[str, int]]:
    """Print what ingestion did with this import's events; (stored, discarded by reason)."""
    stored = int(str(after["stored"])) - int(str(before["stored"]))
    old = before["discarded"]
    new = after["discarded"]
    assert isinstance(old, dict) and isinstance(new, dict)
    discarded = {k: int(v) - int(old.get(k, 0)) for k, v in new.items() if v != old.get(k, 0)}
    line = f"ingestion: {stored:,} events stored"
    if discarded:
        details = ", ".join(f"{reason}: {n:,}" for reason, n in sorted(discarded.items()))
        line += f", {sum(discarded.values()):,} discarded ({details}; see the ingestion warnings)"
    print(line, file=sys.stderr)
    return stored, discarded
