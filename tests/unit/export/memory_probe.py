"""Run by test_export_memory in subprocesses: `fill DIR ROWS` stores generated events with
fat properties; `export DIR FORMAT OUT BLOCK_ROWS` exports them and prints the resident memory
before and at its peak (MiB) as JSON."""

from __future__ import annotations

import json
import resource
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
    store.close()


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def export(data: Path, fmt: str, out: Path, block_rows: int) -> None:
    store = ChdbEventStore(data / "events.chdb")
    source, rows = counted_source(QueryEnv(store, 1), {"kind": "EventsQuery"}, 10**9)
    before = rss_mib()
    export_to_file(store, source, fmt, out, block_rows=block_rows)  # type: ignore[arg-type]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"before": before, "peak": peak, "rows": rows}))
    store.close()


if __name__ == "__main__":
    if sys.argv[1] == "fill":
        fill(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        export(Path(sys.argv[2]), sys.argv[3], Path(sys.argv[4]), int(sys.argv[5]))
