"""`hedgerow backup DEST` and `hedgerow restore SRC` (lifecycle/backup.py does the work).

`backup` asks the running `hedgerow serve` of the data directory to back itself up (found by
its control file) so that capture and ingestion go on; with no server running it opens the
stores itself. `restore` builds a new data directory from a backup and checks it; start a
server on that directory afterwards.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hedgerow.lifecycle.backup import (
    STORE_DIR,
    BackupError,
    attach_tables,
    make_backup,
    read_manifest,
    restore_sqlite,
    summary,
    verify_files,
)
from hedgerow.lifecycle.control import Control, read_control
from hedgerow.settings import Settings

SERVER_TIMEOUT = 6 * 3600  # a backup of a large store copies gigabytes


def add_backup_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    backup = commands.add_parser(
        "backup", help="Back up the data directory into a new directory, while it serves."
    )
    backup.add_argument("dest", help="A new (or empty) directory for the backup.")
    backup.add_argument("--data-dir", dest="data_dir", default=None)
    backup.add_argument("--no-progress", action="store_true", help="Print no progress bar.")
    backup.set_defaults(func=run_backup)
    restore = commands.add_parser(
        "restore", help="Build a new data directory from a backup, and check it."
    )
    restore.add_argument("source", help="A directory written by `hedgerow backup`.")
    restore.add_argument("--data-dir", dest="data_dir", default=None)
    restore.add_argument("--no-progress", action="store_true", help="Print no progress bar.")
    restore.set_defaults(func=run_restore)


def _data_dir(args: argparse.Namespace) -> Path:
    settings = Settings.load({"data_dir": Path(args.data_dir) if args.data_dir else None})
    return settings.storage.data_dir


def _progress_bar(disabled: bool) -> Progress:
    return Progress(
        TextColumn("{task.fields[step]:<18}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=disabled,
    )


def _reporter(progress: Progress) -> Callable[[str, int, int], None]:
    task = progress.add_task("work", total=1, step="starting")

    def report(step: str, done: int, total: int) -> None:
        progress.update(task, step=step, completed=done, total=max(total, 1))

    return report


def _print_summary(what: str, answer: dict[str, Any]) -> None:
    rows = ", ".join(f"{name} {n:,}" for name, n in sorted(answer["rows"].items()))
    print(
        f"{what}: {answer['files']} files, {answer['bytes'] / 1024**2:,.1f} MiB; rows: {rows}",
        file=sys.stderr,
    )


def run_backup(args: argparse.Namespace) -> int:
    settings = Settings.load({"data_dir": Path(args.data_dir) if args.data_dir else None})
    data_dir = settings.storage.data_dir
    servers = [
        u
        for u in (
            settings.intake.intake_url,
            settings.persons.persons_url,
            settings.storage.events_url,
        )
        if u
    ]
    if servers:
        print(
            "hedgerow: backup copies an embedded installation; this one keeps data on "
            f"servers ({', '.join(u.split('://')[0] for u in servers)}): back those up with "
            "their own tools (docs/data-lifecycle.md#backup-and-restore).",
            file=sys.stderr,
        )
        return 2
    dest = Path(args.dest).resolve()
    control = read_control(data_dir)
    try:
        if control is not None:
            print(f"backing up through the running server (pid {control.pid}) ...", file=sys.stderr)
            answer = _backup_through_server(control, dest)
        else:
            answer = _backup_here(data_dir, dest, args.no_progress)
    except BackupError as exc:
        print(f"hedgerow: backup failed: {exc}", file=sys.stderr)
        return 1
    _print_summary(f"backup written to {dest}", answer)
    return 0


def _backup_through_server(control: Control, dest: Path) -> dict[str, Any]:
    request = urllib.request.Request(
        control.url.rstrip("/") + "/_instance/backup",
        data=json.dumps({"dest": str(dest)}).encode(),
        method="POST",
        headers={"Authorization": f"Bearer {control.token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=SERVER_TIMEOUT) as answer:
            body: dict[str, Any] = json.loads(answer.read())
            return body
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error") or f"HTTP {exc.code}"
        except ValueError:
            message = f"HTTP {exc.code}"
        raise BackupError(message) from None
    except urllib.error.URLError as exc:
        raise BackupError(f"the server at {control.url} did not answer: {exc.reason}") from None


def _backup_here(data_dir: Path, dest: Path, quiet: bool) -> dict[str, Any]:
    from hedgerow.processes import SplitRefused, open_event_store

    if not (data_dir / STORE_DIR).exists():
        raise BackupError(f"{data_dir} holds no Hedgerow data (no {STORE_DIR}).")
    settings = Settings.load({"data_dir": data_dir})
    try:
        store = open_event_store(settings, "backup")
    except SplitRefused as exc:
        raise BackupError(
            f"{exc} (`hedgerow backup` asks a running `hedgerow serve` itself; with split "
            "processes, stop them first)"
        ) from None
    try:
        with _progress_bar(quiet) as progress:
            manifest = make_backup(
                data_dir, dest, store, lambda snap: snap(), progress=_reporter(progress)
            )
    finally:
        store.close()
    return summary(manifest)


def run_restore(args: argparse.Namespace) -> int:
    from hedgerow.store.chdb import ChdbEventStore

    data_dir = _data_dir(args)
    source = Path(args.source).resolve()
    if data_dir.exists() and any(data_dir.iterdir()):
        print(
            f"hedgerow: {data_dir} is not empty; restore builds a new data directory "
            "(choose another --data-dir, or move this one away).",
            file=sys.stderr,
        )
        return 1
    try:
        manifest = read_manifest(source)
        with _progress_bar(args.no_progress) as progress:
            report = _reporter(progress)
            verify_files(source, manifest, report)
            data_dir.mkdir(parents=True, exist_ok=True)
            restore_sqlite(source, data_dir, manifest)
            store = ChdbEventStore(data_dir / STORE_DIR)
            try:
                attach_tables(source, store, manifest, report)
            finally:
                store.close()
    except BackupError as exc:
        print(f"hedgerow: restore failed: {exc}", file=sys.stderr)
        return 1
    _print_summary(f"restored {source} into {data_dir.resolve()}, checked", summary(manifest))
    return 0
