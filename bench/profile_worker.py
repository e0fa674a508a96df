"""Ingestion alone, in one process: the identity-heavy stream of `bench/persons.py` appended to
a fresh intake log, then drained by the ingestion worker with no HTTP and no capture load.

Shows how fast the worker itself is (events/s while draining) and, with --profile, where its
time goes (cProfile, sorted by own time). Run: `.venv/bin/python bench/profile_worker.py
--quick --profile`.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

import hedgerow.ingestion.state
import hedgerow.persons.batch_writes
from hedgerow.app import build_components
from hedgerow.capture.decode import DecodeLimits, decode_payload
from hedgerow.capture.normalize import normalize_request
from hedgerow.settings import Settings
from persons import add_plan_arguments, plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_plan_arguments(parser)
    parser.add_argument("--batch-size", type=int, default=None, help="the server's default")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--persons-url", default="", help="postgresql://...: persons on PostgreSQL (empty: SQLite)"
    )
    args = parser.parse_args()
    args.events = args.events or (200_000 if args.quick else 1_000_000)
    bodies, expected = plan(args)
    with tempfile.TemporaryDirectory(prefix="hedgerow-profile-") as tmp:
        settings = Settings.load(
            env={
                "HEDGEROW_DATA_DIR": str(Path(tmp) / "data"),
                "HEDGEROW_PROJECT_TOKEN": "phc_bench_token",
                "HEDGEROW_API_KEY": "phx_bench_key",
                "HEDGEROW_BUFFER_DELAY": "0",
                "HEDGEROW_SQUASH_INTERVAL": "0",
                **({"HEDGEROW_BATCH_SIZE": str(args.batch_size)} if args.batch_size else {}),
                **({"HEDGEROW_PERSONS_URL": args.persons_url} if args.persons_url else {}),
            }
        )
        components = build_components(settings)
        started = time.monotonic()
        appended = 0
        # Interleave the clients' bodies round-robin: each user's events stay in order.
        for round_ in range(max(map(len, bodies))):
            for shard in bodies:
                if round_ < len(shard):
                    body, size = shard[round_]
                    payload = decode_payload(
                        body,
                        query={},
                        content_type="application/json",
                        content_encoding=None,
                        legacy_path=False,
                        limits=DecodeLimits(),
                    )
                    normalized = normalize_request(payload, engage=False, query={}, ip=None)
                    components.intake.append_blocking(
                        components.project.id, size, orjson.dumps(normalized.events)
                    )
                    appended += size
        print(f"appended {appended:,} events in {time.monotonic() - started:.1f} s", flush=True)
        worker = components.worker
        timings = instrument(components)
        profiler = cProfile.Profile() if args.profile else None
        started = time.monotonic()
        cpu, thread_cpu = time.process_time(), time.thread_time()
        done = 0
        if profiler:
            profiler.enable()
        while handled := worker.advance():  # batches overlap, as in the server's loop
            done += handled
        worker.publish_mirror(force=True)
        if profiler:
            profiler.disable()
        took = time.monotonic() - started
        cpu, thread_cpu = time.process_time() - cpu, time.thread_time() - thread_cpu
        print(f"ingested {done:,} events in {took:.1f} s: {done / took:,.0f} events/s")
        print(
            f"CPU: {cpu:.1f} s in the process ({done / cpu:,.0f} events per CPU second), "
            f"{thread_cpu:.1f} s in the worker thread ({1e6 * thread_cpu / done:.0f} µs/event)"
        )
        for name, (calls, rows, wall) in timings.items():
            print(f"{name}: {calls} calls, {rows:,} rows, {wall:.2f} s")
        print("expected", expected)
        print("overrides", components.events.override_count(components.project.id))
        components.close()
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats("tottime").print_stats(args.top)


def instrument(components: Any) -> dict[str, list[float]]:
    """Count calls, rows and wall time of the event store's writes and of SQLite's batch
    writes (by statement), and the person store's commits."""
    timings: dict[str, list[float]] = {}
    for module in (hedgerow.persons.batch_writes, hedgerow.ingestion.state):
        original_rows = module.insert_rows

        def timed_rows(
            conn: Any, insert: str, rows: Any, *rest: Any, _original: Any = original_rows
        ) -> Any:
            entry = timings.setdefault("sqlite " + insert.split("(")[0].strip(), [0, 0, 0.0])
            started = time.perf_counter()
            try:
                return _original(conn, insert, rows, *rest)
            finally:
                entry[0] += 1
                entry[1] += len(rows)
                entry[2] += time.perf_counter() - started

        module.insert_rows = timed_rows
    store = components.events
    for name in ("insert", "mirror_persons", "insert_overrides"):
        original = getattr(store, name)
        entry = timings.setdefault(name, [0, 0, 0.0])

        def timed(rows: Any, *rest: Any, _original: Any = original, _entry: Any = entry) -> Any:
            started = time.perf_counter()
            try:
                return _original(rows, *rest)
            finally:
                _entry[0] += 1
                _entry[1] += len(rows)
                _entry[2] += time.perf_counter() - started

        setattr(store, name, timed)
    return timings


if __name__ == "__main__":
    main()
