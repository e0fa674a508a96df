"""Run by test_export_memory in subprocesses: `fill DIR ROWS` stores generated events with
fat properties; `export DIR FORMAT OUT BLOCK_ROWS` exports them and prints the resident memory
before and at its peak (MiB) as JSON."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

from hedgerow.event import IngestEvent
from hedgerow.export.files import export_to_file
from hedgerow.export.source import counted_source
from hedgerow.query.core import QueryEnv
from hedgerow.store.chdb import ChdbEventStore

PADDING = "x" * 300


def fill(data: Path, rows: int) -> None:
    store = ChdbEventStore(data / "events.chdb")
    batch: list[IngestEvent] = []
    for i in range(rows):
        day, hour, minute, second = 1 + i % 3, i % 24, i % 60, (i // 60) % 60
        stamp = f"2026-11-{day:02d} {hour:02d}:{minute:02d}:{second:02d}.{i % 1000000:06d}"
        batch.append(
            IngestEvent(
                team_id=1,
                uuid=str(uuid.UUID(int=i + 1)),
                event=f"event {i % 5}",
                distinct_id=f"user-{i % 1000}",
                properties={"i": i, "padding": PADDING},
                timestamp=stamp,
                now=stamp,
                person_id=str(uuid.UUID(int=10**9 + i % 1000)),
            )
        )
        if len(batch) == 20_000:
            store.insert(batch, dedup_token=f"fill-{i}")
            batch = []
    if batch:
        store.insert(batch, dedup_token="fill-last")
    # One part per table: no background merge of the fill's parts runs during the export.
    store.run("OPTIMIZE TABLE hedgerow.events FINAL")
    store.run("OPTIMIZE TABLE hedgerow.sessions FINAL")
    store.close()


def status_mib(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> None:
    """Start the peak resident size (VmHWM) anew from now (Linux 4.0+), so that the peak read
    after the export is the export's, not the store's start-up."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def export(data: Path, fmt: str, out: Path, block_rows: int) -> None:
    store = ChdbEventStore(data / "events.chdb")
    source, rows = counted_source(QueryEnv(store, 1), {"kind": "EventsQuery"}, 10**9)
    before = status_mib("VmRSS")
    reset_peak()
    export_to_file(store, source, fmt, out, block_rows=block_rows)  # type: ignore[arg-type]
    peak = status_mib("VmHWM")
    print(json.dumps({"before": before, "peak": peak, "rows": rows}))
    store.close()


if __name__ == "__main__":
    if sys.argv[1] == "fill":
        fill(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        export(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), int(sys.argv[5]))
