"""Writing an export to a file, and its file name."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hedgerow.export.formats import BLOCK_ROWS, ExportFormat, OnRows, export_bytes
from hedgerow.export.source import ExportSource
from hedgerow.store.events import EventStore

EXTENSIONS = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}


def export_filename(team_id: int, fmt: ExportFormat, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return f"hedgerow-project-{team_id}-events-{stamp}.{EXTENSIONS[fmt]}"


def export_to_file(
    store: EventStore,
    source: ExportSource,
    fmt: ExportFormat,
    path: Path,
    on_rows: OnRows | None = None,
    *,
    block_rows: int = BLOCK_ROWS,
) -> None:
    """Write to a temporary file beside `path`, renamed into place when complete."""
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            for chunk in export_bytes(store, source, fmt, on_rows, block_rows=block_rows):
                out.write(chunk)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
