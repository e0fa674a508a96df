"""What the shared ingestion bookkeeping costs a batch: PostgreSQL vs `ingestion.sqlite3`.

Each batch of `--batch` events takes the buffered events that are due (those the batch before
held back), then records itself: its stored uuids, three counts, `--warnings` warnings, `--held`
newly held events (about 300-byte records) and the released ones. The reference is one worker
alone, all of it in `ingestion.sqlite3` in one transaction (`IngestionState.finish_batch`);
the measured is several workers' layout: the uuids and the record in `ingestion.sqlite3`,
the rest in PostgreSQL (`PostgresBookkeeping.due` and `record_batch`) on a throwaway cluster
of Debian's binaries with fsync on (tests/postgres_server.py), in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from common import md_table, percentile, report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from hedgerow.ingestion.bookkeeping import Bookkeeping, Buffered
from hedgerow.ingestion.pipeline import Warning
from hedgerow.ingestion.postgres_bookkeeping import PostgresBookkeeping
from hedgerow.ingestion.state import IngestionState

from postgres_server import PostgresServer  # the tests' throwaway cluster


def _batch(args: argparse.Namespace, now: float) -> dict[str, Any]:
    stored = [(1, str(uuid.uuid4())) for _ in range(args.batch - args.held)]
    held = [
        Buffered(1, str(uuid.uuid4()), f"user-{n}", now - 1, b"x" * 300, n % 12)
        for n in range(args.held)
    ]
    warnings = [Warning(1, "event_name_truncated", u, {"length": 250}) for _, u in stored[:20]]
    counts = Counter({(1, "received", ""): args.batch, (1, "stored", ""): len(stored)})
    counts[(1, "discarded", "duplicate_event")] += 1
    return {"stored": stored, "held": held, "warnings": warnings[: args.warnings], "counts": counts}


def _run(
    args: argparse.Namespace, state: IngestionState, shared: PostgresBookkeeping | None
) -> list[float]:
    bookkeeping: Bookkeeping = shared if shared is not None else state
    timings: list[float] = []
    for _ in range(args.batches):
        batch = _batch(args, time.time())
        started = time.perf_counter()
        released = [r.id for r in bookkeeping.due(time.time(), args.batch, (), set(range(12)))]
        if shared is None:
            state.finish_batch(
                batch["stored"],
                batch["counts"],
                batch["warnings"],
                buffered=batch["held"],
                released=released,
            )
        else:
            shared.record_batch(
                batch["counts"], batch["warnings"], buffered=batch["held"], released=released
            )
            state.finish_batch(batch["stored"], Counter(), [])
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--batch", type=int, default=2000, help="events per batch")
    parser.add_argument("--held", type=int, default=100, help="events held back per batch")
    parser.add_argument("--warnings", type=int, default=20)
    args = parser.parse_args()
    cluster = PostgresServer(durable=True).start()
    results: dict[str, list[float]] = {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            local = IngestionState(Path(tmp) / "alone.sqlite3")
            results["ingestion.sqlite3 (one worker)"] = _run(args, local, None)
            local.close()
            state = IngestionState(Path(tmp) / "shared.sqlite3")
            shared = PostgresBookkeeping(cluster.url)
            results["PostgreSQL + ingestion.sqlite3 (several)"] = _run(args, state, shared)
            shared.close()
            state.close()
    finally:
        cluster.remove()
    reference = statistics.median(next(iter(results.values())))
    rows = [
        [
            name,
            f"{statistics.median(t):.2f}",
            f"{percentile(t, 99):.2f}",
            f"{statistics.median(t) / reference:.2f}",
        ]
        for name, t in results.items()
    ]
    table = md_table(["bookkeeping", "ms per batch (median)", "p99", "ratio"], rows)
    setup = (
        f"{args.batches} batches of {args.batch} events, {args.held} held back and released "
        f"by the next batch, {args.warnings} warnings each."
    )
    report(
        "shared_bookkeeping",
        "Shared ingestion bookkeeping per batch (`bench/shared_bookkeeping.py`)",
        [setup, table],
        {"args": vars(args), "ms_per_batch": results},
    )


if __name__ == "__main__":
    main()
