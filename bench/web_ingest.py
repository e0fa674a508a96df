"""Issue 19's ingestion target: the whole ingestion (steps, persons, intake, event insert)
with sessions and GeoIP on against both off, in one process and one run.

Each round drains the same events with each variant, in rotating order, on a fresh data
directory: `off` (no GeoIP database, the store keeping no sessions), `on` (the shipped GeoIP
database, sessions buffered and written every 5 s), and `per-batch` (on, but the sessions
written with each batch, as before the buffer); `sessions` and `geoip` turn on one of the
two, and `on-every-set` is `on` with GeoIP's person operations added to every event, also
those of persons who already have the values (as before session 11), not run unless named
in `--variants`. A variant name ending in `-without-bot-column` is that variant with the
materialized column of the bot flag (`mat_$virt_is_bot`) dropped before the drain: what the
column costs the insert. The events are appended to the intake log
as capture would have (not timed), then the worker drains them (`advance` until nothing is
left, then the last batch settles and the sessions are written); the rate is events over
that time. The bot flag runs in every variant (it has no switch). Beside the rate, the CPU
time per event: of the whole process (every thread: the worker's, the insert thread's,
chDB's) and of the worker thread alone (the steps and persons); on a machine shared with
other work, CPU time scatters less than elapsed time.

Events: web sessions of 1-12 events with ~22 properties as posthog-js sends them
(`sessions_ingest.py`'s generator), `--sessions-per-hour` starting each hour (busy by
default: a session's events come in several batches), `$ip` one per visitor from 20,000
public addresses and a browser user agent (`geoip.py`'s).

    .venv/bin/python bench/web_ingest.py [--events 200000] [--rounds 5] [--batch-size N]
        [--profile VARIANT]

`--profile on` drains once with that variant under cProfile (the worker thread: the steps,
persons, intake; the insert thread is not seen) and prints where the time goes. The GeoIP
cache's hit rate over the events' addresses is reported either way.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import statistics
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from common import API_KEY, TOKEN, md_table, median, report
from geoip import BROWSERS, public_ips
from hedgerow.app import build_components
from hedgerow.capture.normalize import normalize_request
from hedgerow.geoip.database import open_geoip
from hedgerow.ingestion.steps.geoip import geoip_step
from hedgerow.settings import Settings
from hedgerow.store.schema import DATABASE, materialized_column, quote_identifier
from sessions_ingest import generate

VARIANTS = ("off", "on", "per-batch", "sessions", "geoip", "on-every-set")
WITHOUT_BOT_COLUMN = "-without-bot-column"


def capture_events(count: int, per_hour: int) -> list[dict[str, Any]]:
    """The generated sessions as posthog-js sends them (`$geoip_*` left to the GeoIP step)."""
    rng = random.Random(19)
    ips = public_ips(rng, 20_000)
    records = []
    for event in generate(count, per_hour):
        properties = {k: v for k, v in event.properties.items() if k != "$geoip_country_code"}
        visitor = zlib.crc32(event.distinct_id.encode())
        properties["$ip"] = ips[visitor % len(ips)]
        properties["$raw_user_agent"] = BROWSERS[visitor % len(BROWSERS)]
        records.append(
            {
                "uuid": event.uuid,
                "event": event.event,
                "distinct_id": event.distinct_id,
                "properties": properties,
                "timestamp": event.timestamp.replace(" ", "T") + "Z",
            }
        )
    return records


def intake_payloads(events: list[dict[str, Any]], size: int = 500) -> list[tuple[int, bytes]]:
    """Requests of `size` events, normalized as capture does before appending them."""
    payloads = []
    for i in range(0, len(events), size):
        body = {"api_key": TOKEN, "batch": events[i : i + size]}
        normalized = normalize_request(body, engage=False, query={}, ip=None)
        payloads.append((len(normalized.events), orjson.dumps(normalized.events)))
    return payloads


@dataclass(frozen=True)
class Drained:
    """One drain's elapsed seconds and CPU seconds (the process's, the worker thread's)."""

    seconds: float
    process_cpu: float
    worker_cpu: float


def drain(
    variant: str,
    payloads: list[tuple[int, bytes]],
    batch_size: int | None,
    profiler: cProfile.Profile | None = None,
) -> Drained:
    """The time the worker takes to ingest every payload with `variant`."""
    without_bot_column = variant.endswith(WITHOUT_BOT_COLUMN)
    variant = variant.removesuffix(WITHOUT_BOT_COLUMN)
    with tempfile.TemporaryDirectory(prefix="hedgerow-web-ingest-") as tmp:
        env = {
            "HEDGEROW_DATA_DIR": str(Path(tmp) / "data"),
            "HEDGEROW_PROJECT_TOKEN": TOKEN,
            "HEDGEROW_API_KEY": API_KEY,
            "HEDGEROW_BUFFER_DELAY": "0",
            "HEDGEROW_SQUASH_INTERVAL": "0",
        }
        if variant in ("off", "sessions"):
            env["HEDGEROW_GEOIP_DATABASE"] = "off"
        if batch_size:
            env["HEDGEROW_BATCH_SIZE"] = str(batch_size)
        components = build_components(Settings.load(env=env))
        store = components.events
        store.keep_sessions = variant not in ("off", "geoip")
        if variant == "per-batch":
            store.sessions.flush_seconds = 0.0
        if without_bot_column:
            column = quote_identifier(materialized_column("$virt_is_bot"))
            store.run(f"ALTER TABLE {DATABASE}.events DROP COLUMN {column}")
        if variant == "on-every-set":
            geoip = open_geoip("")
            assert geoip is not None
            steps = components.worker.steps
            steps[[name for name, _ in steps].index("geoip")] = ("geoip", geoip_step(geoip))
        for count, payload in payloads:
            components.intake.append_blocking(components.project.id, count, payload)
        worker = components.worker
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter()
        process_cpu, worker_cpu = time.process_time(), time.thread_time()
        while worker.advance():
            pass
        worker.settle()
        took = Drained(
            time.perf_counter() - started,
            time.process_time() - process_cpu,
            time.thread_time() - worker_cpu,
        )
        if profiler is not None:
            profiler.disable()
        components.close()
        return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=None, help="the server's default")
    parser.add_argument("--sessions-per-hour", type=int, default=50_000)
    parser.add_argument(
        "--variants",
        default="off,on,per-batch",
        help=f"{', '.join(VARIANTS)}; each also with {WITHOUT_BOT_COLUMN}",
    )
    parser.add_argument("--profile", default=None, help="a variant")
    args = parser.parse_args()
    variants = args.variants.split(",")
    records = capture_events(args.events, args.sessions_per_hour)
    payloads = intake_payloads(records)
    geoip = open_geoip("")
    assert geoip is not None, "no GeoIP database: run make"
    for record in records:
        geoip.locate(record["properties"]["$ip"])
    hit_rate = geoip.hits / (geoip.hits + geoip.misses)
    print(f"GeoIP cache: {hit_rate:.1%} of {len(records):,} lookups answered from it")
    if args.profile:
        profiler = cProfile.Profile()
        took = drain(args.profile, payloads, args.batch_size, profiler).seconds
        print(f"{args.profile}: {args.events / took:,.0f} events/s under the profiler")
        pstats.Stats(profiler).sort_stats("tottime").print_stats(40)
        return
    load_before = os.getloadavg()
    runs: dict[str, list[Drained]] = {v: [] for v in variants}
    for round_ in range(args.rounds):
        order = variants[round_ % len(variants) :] + variants[: round_ % len(variants)]
        for variant in order:
            runs[variant].append(drain(variant, payloads, args.batch_size))
            run = runs[variant][-1]
            print(
                f"round {round_ + 1} {variant}: {args.events / run.seconds:,.0f} events/s, "
                f"CPU {run.process_cpu / args.events * 1e6:.0f} µs/event (worker "
                f"{run.worker_cpu / args.events * 1e6:.0f}), load {os.getloadavg()[0]:.1f}",
                flush=True,
            )
    load_after = os.getloadavg()
    seconds = {v: [r.seconds for r in runs[v]] for v in variants}
    rows = []
    for variant in variants:
        ratios = [off / t for t, off in zip(seconds[variant], seconds["off"], strict=True)]
        cpu = [r.process_cpu / args.events * 1e6 for r in runs[variant]]
        worker_cpu = [r.worker_cpu / args.events * 1e6 for r in runs[variant]]
        cpu_ratios = [
            off.process_cpu / r.process_cpu
            for r, off in zip(runs[variant], runs["off"], strict=True)
        ]
        rows.append(
            [
                variant,
                f"{args.events / median(seconds[variant]):,.0f}",
                ", ".join(f"{args.events / t:,.0f}" for t in seconds[variant]),
                f"{median(ratios):.3f}",
                f"{min(ratios):.3f}-{max(ratios):.3f}",
                f"{statistics.pstdev(ratios):.3f}",
                f"{median(cpu):.0f} ({median(worker_cpu):.0f})",
                f"{median(cpu_ratios):.3f}",
            ]
        )
    sessions = len({r["properties"]["$session_id"] for r in records})
    setup = (
        f"{args.events:,} events in {sessions:,} sessions ({args.sessions_per_hour:,} starting "
        f"an hour), batches of {args.batch_size or 'the default size'}, {args.rounds} rounds, "
        f"variants alternating; GeoIP cache hit rate {hit_rate:.1%}; load average (1, 5, 15 min) "
        f"{', '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{', '.join(f'{x:.2f}' for x in load_after)} after."
    )
    headers = ["variant", "events/s (median)", "per round", "rate / off (median of rounds)"]
    headers += ["range", "std dev", "CPU µs/event (worker thread)", "CPU: off / variant"]
    report(
        "web_ingest",
        "Ingestion with sessions and GeoIP on against both off (bench/web_ingest.py)",
        [setup, md_table(headers, rows)],
        {
            "args": vars(args),
            "seconds": seconds,
            "process_cpu": {v: [r.process_cpu for r in runs[v]] for v in variants},
            "worker_cpu": {v: [r.worker_cpu for r in runs[v]] for v in variants},
            "load": [load_before, load_after],
        },
    )


if __name__ == "__main__":
    main()
