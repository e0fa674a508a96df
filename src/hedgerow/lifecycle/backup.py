"""Backup and restore of an embedded installation's data directory.

A backup is a directory: a copy of every SQLite file of the data directory (made with
SQLite's online backup, so writers go on), the parts of every MergeTree table of the event
store (frozen with `ALTER TABLE … FREEZE`: hard links to the immutable parts of that moment),
and `manifest.json` with the size and SHA-256 of each file and the rows of each table.

Consistency: the SQLite copies and the freezes are made in one step with no ingestion batch in
flight (the caller runs `snapshot` between batches). Every event acknowledged before that
step is then either in the frozen events or still waiting in the copied intake log, never in
both: a restored server ingests the waiting ones. Capture goes on meanwhile (its new events
are in the log after the copy, or not, either way once).

Restore builds a new data directory: it checks every checksum first, copies the SQLite files
(each passes `PRAGMA integrity_check`), opens a new event store (which creates the schema),
attaches the saved parts to each table and checks each table's rows against the manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from hedgerow import __version__
from hedgerow.store.schema import DATABASE, quote_string

MANIFEST = "manifest.json"
FORMAT = 1
EVENTS_DIR = "events"  # <backup>/events/<table>/<part>/
STORE_DIR = "events.chdb"  # the event store's directory in a data directory
FILE_CHUNK = 1024 * 1024

# (step, done, total) while a backup or restore runs: for a progress bar.
Progress = Callable[[str, int, int], None]


class BackupError(Exception):
    """A backup or restore that cannot be done, with what to do about it."""


class EventStore(Protocol):
    path: Path

    def run(self, sql: str) -> Any: ...


@dataclass(frozen=True)
class Snapshot:
    """What `snapshot` froze: the event store's shadow name and each table's uuid."""

    freeze_name: str
    tables: dict[str, str]  # table name -> its uuid (the directory of its parts)
    sqlite_files: list[str]


def _quiet(step: str, done: int, total: int) -> None:
    return None


def snapshot(data_dir: Path, staging: Path, events: EventStore) -> Snapshot:
    """Copy the SQLite files into `staging` and freeze the event store's tables. Run with no
    ingestion batch in flight: this is the moment the backup stands for."""
    sqlite_files = sorted(p.name for p in data_dir.glob("*.sqlite3"))
    for name in sqlite_files:
        _copy_sqlite(data_dir / name, staging / name)
    rows = events.run(
        "SELECT name, toString(uuid) FROM system.tables "
        f"WHERE database = {quote_string(DATABASE)} AND engine LIKE '%MergeTree' "
        "ORDER BY name"
    ).rows
    tables = {str(name): str(table_uuid) for name, table_uuid in rows}
    freeze_name = f"hedgerow_backup_{uuid.uuid4().hex}"  # letters only: escaped on disk
    for name in tables:
        events.run(f"ALTER TABLE {DATABASE}.`{name}` FREEZE WITH NAME {quote_string(freeze_name)}")
    return Snapshot(freeze_name, tables, sqlite_files)


def _copy_sqlite(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # one step: a consistent copy, the log's writers wait at most a copy
    finally:
        dst.close()
        src.close()


def collect_frozen(
    snap: Snapshot, store_dir: Path, staging: Path, progress: Progress = _quiet
) -> dict[str, dict[str, Any]]:
    """Move the frozen parts out of the store's `shadow/` into `staging/events/<table>/`;
    each table's parts and rows (from the parts' `count.txt`)."""
    shadow = store_dir / "shadow" / snap.freeze_name
    tables: dict[str, dict[str, Any]] = {}
    try:
        for done, (name, table_uuid) in enumerate(snap.tables.items()):
            progress("collecting parts", done, len(snap.tables))
            found = list(shadow.glob(f"store/*/{table_uuid}"))
            target = staging / EVENTS_DIR / name
            target.mkdir(parents=True)
            parts: list[str] = []
            rows = 0
            for frozen in found:
                for part in sorted(p for p in frozen.iterdir() if p.is_dir()):
                    shutil.copytree(part, target / part.name)
                    parts.append(part.name)
                    count = part / "count.txt"
                    rows += int(count.read_text()) if count.exists() else 0
            tables[name] = {"parts": parts, "rows": rows}
    finally:
        shutil.rmtree(shadow, ignore_errors=True)
    progress("collecting parts", len(snap.tables), len(snap.tables))
    return tables


def write_manifest(
    staging: Path, tables: dict[str, dict[str, Any]], progress: Progress = _quiet
) -> dict[str, Any]:
    files = sorted(p for p in staging.rglob("*") if p.is_file() and p.name != MANIFEST)
    listed: dict[str, dict[str, Any]] = {}
    for done, path in enumerate(files):
        progress("checksums", done, len(files))
        listed[path.relative_to(staging).as_posix()] = {
            "size": path.stat().st_size,
            "sha256": _sha256(path),
        }
    progress("checksums", len(files), len(files))
    manifest = {
        "format": FORMAT,
        "hedgerow_version": __version__,
        "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "tables": tables,
        "files": listed,
    }
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True))
    return manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(FILE_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def staging_for(dest: Path) -> Path:
    """Where a backup is written before it is complete: beside `dest`, renamed at the end,
    so that a failed backup never leaves a `dest` that looks whole."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} exists and is not an empty directory: choose a new one.")
    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def finish(staging: Path, dest: Path) -> None:
    if dest.exists():
        dest.rmdir()  # empty, checked by `staging_for`
    staging.rename(dest)


# -- restore ---------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} is not a Hedgerow backup: it has no {MANIFEST}.")
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        raise BackupError(
            f"{source} is a backup of format {manifest.get('format')}; this Hedgerow restores "
            f"format {FORMAT}."
        )
    return manifest


def verify_files(source: Path, manifest: dict[str, Any], progress: Progress = _quiet) -> None:
    """Every file of the manifest is there with its size and checksum; nothing else is."""
    files: dict[str, dict[str, Any]] = manifest["files"]
    present = {
        p.relative_to(source).as_posix()
        for p in source.rglob("*")
        if p.is_file() and p.name != MANIFEST
    }
    extra = sorted(present - set(files))
    if extra:
        raise BackupError(f"{source} has files its manifest does not list: {extra[:5]}")
    for done, (name, expected) in enumerate(sorted(files.items())):
        progress("checking", done, len(files))
        path = source / name
        if not path.is_file():
            raise BackupError(f"{name} is missing from {source}.")
        if path.stat().st_size != expected["size"] or _sha256(path) != expected["sha256"]:
            raise BackupError(f"{name} in {source} does not match its checksum: it is damaged.")
    progress("checking", len(files), len(files))


def restore_sqlite(source: Path, data_dir: Path, manifest: dict[str, Any]) -> list[str]:
    names = sorted(n for n in manifest["files"] if "/" not in n and n.endswith(".sqlite3"))
    for name in names:
        shutil.copyfile(source / name, data_dir / name)
        conn = sqlite3.connect(data_dir / name)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
        if result != "ok":
            raise BackupError(f"{name} fails SQLite's integrity check after the copy: {result}")
    return names


def attach_tables(
    source: Path, events: EventStore, manifest: dict[str, Any], progress: Progress = _quiet
) -> dict[str, int]:
    """Replace each table's rows with the backup's parts; the rows of each table, checked."""
    tables: dict[str, dict[str, Any]] = manifest["tables"]
    known = {
        str(name): str(path[0])
        for name, path in events.run(
            f"SELECT name, data_paths FROM system.tables WHERE database = {quote_string(DATABASE)}"
        ).rows
        if path
    }
    total = sum(len(t["parts"]) for t in tables.values())
    done = 0
    restored: dict[str, int] = {}
    for name, table in sorted(tables.items()):
        if name not in known:
            raise BackupError(
                f"the backup has table {name}, which this Hedgerow's event store does not: "
                f"restore with Hedgerow {manifest['hedgerow_version']}."
            )
        events.run(f"TRUNCATE TABLE {DATABASE}.`{name}`")
        detached = Path(known[name]) / "detached"
        detached.mkdir(exist_ok=True)
        for part in table["parts"]:
            progress("attaching parts", done, total)
            shutil.copytree(source / EVENTS_DIR / name / part, detached / part)
            events.run(f"ALTER TABLE {DATABASE}.`{name}` ATTACH PART {quote_string(part)}")
            done += 1
        rows = events.run(
            f"SELECT sum(rows) FROM system.parts WHERE database = {quote_string(DATABASE)} "
            f"AND table = {quote_string(name)} AND active"
        ).rows
        restored[name] = int(rows[0][0] or 0) if rows else 0
        if restored[name] != table["rows"]:
            raise BackupError(
                f"table {name} has {restored[name]} rows after the restore, the backup "
                f"{table['rows']}."
            )
    progress("attaching parts", total, total)
    return restored


def make_backup(
    data_dir: Path,
    dest: Path,
    events: EventStore,
    between_batches: Callable[[Callable[[], Snapshot]], Snapshot],
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Back up `data_dir` into the new directory `dest`; `between_batches` runs the snapshot
    with no ingestion batch in flight (the running server's worker, or a plain call when
    nothing else has the stores open). Returns the manifest."""
    staging = staging_for(dest)
    try:
        progress("snapshot", 0, 1)
        snap = between_batches(lambda: snapshot(data_dir, staging, events))
        progress("snapshot", 1, 1)
        tables = collect_frozen(snap, events.path, staging, progress)
        manifest = write_manifest(staging, tables, progress)
        finish(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return manifest


def summary(manifest: dict[str, Any]) -> dict[str, Any]:
    """What a backup holds, in short: rows per table, files and bytes."""
    files: dict[str, dict[str, Any]] = manifest["files"]
    return {
        "created_at": manifest["created_at"],
        "hedgerow_version": manifest["hedgerow_version"],
        "rows": {name: table["rows"] for name, table in manifest["tables"].items()},
        "files": len(files),
        "bytes": sum(f["size"] for f in files.values()),
    }
