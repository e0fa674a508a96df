"""What keeping the sessions table costs at ingestion: the store's real insert
(`ChdbEventStore.insert`, as the ingestion worker calls it) of the same generated events
with sessions off, kept by the store (Python aggregates each batch per session and merges
the rows into those buffered from earlier batches, written every 5 s and at the end:
`store`; or written with each batch, as before the buffer: `batch`) and, for reference, kept
by the former materialized view over the events table. Same process, same store, same
events, modes alternating (their order rotating from run to run); each run starts from empty
tables.

Events: web sessions of 1-12 events (mostly page views, some autocaptures and custom
events) with ~22 properties each as posthog-js sends them (URL, host, path, referrer and
referring domain, UTM values and click ids on landings, device, browser, OS, screen,
library, `$geoip_country_code` as the GeoIP step adds it, ...), a person each, interleaved
in time. `--sessions-per-hour` sets how busy the site is: at the default 500 a batch of
5,000 events spans two hours and holds most of its sessions whole; at 50,000 it spans
80 seconds, and a session's events (3 s to 2 min apart) come in several batches, each of
which writes a row for it.

    .venv/bin/python bench/sessions_ingest.py [--events 200000] [--batch 5000] [--runs 5]
        [--sessions-per-hour 500]

Reports events/s per mode (median of the runs) and each mode against `off`, the ratio of
the medians and the median of the per-run ratios; for the `batch` mode also where its time
goes (grouping by session, the rows as Arrow, the sessions INSERT) per batch.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import md_table, median, report
from hedgerow.app import GC_THRESHOLDS
from hedgerow.event import IngestEvent
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE
from hedgerow.store.session_rows import group_sessions, session_rows, sessions_arrow
from hedgerow.store.session_writer import FLUSH_SECONDS
from hedgerow.store.sessions_schema import (
    SESSIONS_TABLE,
    SESSIONS_VIEW,
    sessions_insert_sql,
    sessions_select_sql,
)

MODES = ("off", "store", "batch", "view")
HOSTS = ["www.site.io", "docs.site.io", "shop.site.io"]
PATHS = ["/", "/pricing", "/about", "/blog", "/signup", "/checkout"]
PATHS += [f"/docs/page-{i}" for i in range(40)] + [f"/blog/post-{i}" for i in range(80)]
LANDINGS: list[dict[str, str]] = [
    {"$referrer": "$direct", "$referring_domain": "$direct"},
    {"$referrer": "https://www.google.com/", "$referring_domain": "www.google.com"},
    {
        "$referrer": "https://www.google.com/",
        "$referring_domain": "www.google.com",
        "utm_source": "google",
        "utm_medium": "cpc",
        "utm_campaign": "brand",
        "gclid": "Cj0KCQiA",
    },
    {"$referrer": "https://t.co/x", "$referring_domain": "t.co", "utm_source": "twitter"},
    {
        "$referrer": "$direct",
        "$referring_domain": "$direct",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "spring",
    },
    {"$referrer": "https://l.facebook.com/", "$referring_domain": "l.facebook.com"},
    {"$referrer": "https://news.ycombinator.com/", "$referring_domain": "news.ycombinator.com"},
]
DEVICES = [
    ("Chrome", "Mac OS X", "Desktop", 1440),
    ("Safari", "iOS", "Mobile", 390),
    ("Chrome", "Android", "Mobile", 412),
    ("Firefox", "Windows", "Desktop", 1920),
    ("Microsoft Edge", "Windows", "Desktop", 1536),
]
COUNTRIES = ["US", "GB", "DE", "FR", "IN", "BR", "NL", "CA"]


def _session(rng: random.Random, start: datetime, n: int) -> list[IngestEvent]:
    """One visitor's session: its events in time order."""
    session_id = str(uuid.UUID(int=rng.getrandbits(128)))
    device_id = str(uuid.UUID(int=rng.getrandbits(128)))
    person_id = str(uuid.UUID(int=rng.getrandbits(128)))
    browser, os_name, device, width = rng.choice(DEVICES)
    landing = rng.choice(LANDINGS)
    country = rng.choice(COUNTRIES)
    person = {"email": f"user{n}@example.com", "plan": rng.choice(["free", "pro"])}
    t = start + timedelta(seconds=rng.randrange(3600), microseconds=rng.randrange(10**6))
    events = []
    for i in range(rng.choice([1, 1, 2, 3, 4, 5, 6, 8, 12])):
        kind = "$pageview" if i == 0 else rng.choice(["$pageview"] * 3 + ["$autocapture", "cta"])
        host, path = rng.choice(HOSTS), rng.choice(PATHS)
        properties: dict[str, Any] = {
            "$session_id": session_id,
            "$window_id": session_id[:18] + "w",
            "$device_id": device_id,
            "$current_url": f"https://{host}{path}",
            "$host": host,
            "$pathname": path,
            "$browser": browser,
            "$browser_version": 131,
            "$os": os_name,
            "$device_type": device,
            "$screen_width": width,
            "$screen_height": 900,
            "$viewport_width": width,
            "$lib": "web",
            "$lib_version": "1.200.3",
            "$insert_id": f"{n:x}{i}",
            "$time": t.timestamp(),
            "$pageview_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "$geoip_country_code": country,
            "$is_identified": False,
            **landing,
        }
        events.append(
            IngestEvent(
                team_id=1,
                uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                event=kind,
                distinct_id=device_id,
                properties=properties,
                timestamp=t.isoformat(" ", "microseconds")[:26],
                now=t.isoformat(" ", "microseconds")[:26],
                person_id=person_id,
                person_idx=n + 1,
                person_properties=person,
                person_created_at=t.isoformat(" ", "microseconds")[:26],
            )
        )
        t += timedelta(seconds=rng.choice([3, 8, 20, 45, 120]), microseconds=rng.randrange(10**6))
    return events


def generate(count: int, per_hour: int = 500, seed: int = 9) -> list[IngestEvent]:
    """`count` events of interleaved sessions (`per_hour` of them start each hour), in
    arrival order (by timestamp)."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 2, tzinfo=UTC)
    events: list[IngestEvent] = []
    for n in itertools.count():
        if len(events) >= count:
            break
        hour = start + timedelta(hours=n // per_hour)
        events.extend(_session(rng, hour, n))
    events = events[:count]
    events.sort(key=lambda e: e.timestamp)
    return events


def batches(events: Sequence[IngestEvent], size: int) -> Iterator[Sequence[IngestEvent]]:
    for start in range(0, len(events), size):
        yield events[start : start + size]


def set_mode(store: ChdbEventStore, mode: str) -> None:
    store._execute(f"DROP VIEW IF EXISTS {SESSIONS_VIEW}")
    store._execute(f"TRUNCATE TABLE {DATABASE}.events")
    store._execute(f"TRUNCATE TABLE {SESSIONS_TABLE}")
    store.keep_sessions = mode in ("store", "batch")
    store.sessions.flush_seconds = 0.0 if mode == "batch" else FLUSH_SECONDS
    if mode == "view":  # the former view: the same states from every inserted block
        store._execute(
            f"CREATE MATERIALIZED VIEW {SESSIONS_VIEW} TO {SESSIONS_TABLE} AS "
            + sessions_select_sql()
        )


def run(
    store: ChdbEventStore, mode: str, events: Sequence[IngestEvent], size: int, tag: str
) -> tuple[float, float]:
    """Seconds to insert all events in batches of `size` with `mode`: wall clock in the
    inserts, and CPU of the whole process over the run (ClickHouse's threads and merges
    included; less sensitive than the wall clock to other work on the machine)."""
    set_mode(store, mode)
    elapsed = 0.0
    cpu = time.process_time()
    for n, batch in enumerate(batches(events, size)):
        started = time.perf_counter()
        store.insert(batch, f"{tag}-{mode}-{n}")
        elapsed += time.perf_counter() - started
    started = time.perf_counter()
    store.flush_sessions()  # what is still buffered: the end of the run
    elapsed += time.perf_counter() - started
    return elapsed, time.process_time() - cpu


def store_parts(
    store: ChdbEventStore, events: Sequence[IngestEvent], size: int
) -> dict[str, float]:
    """Where the `batch` mode spends its time, summed over the batches: the Python
    grouping by session, the rows (Arrow), and the sessions INSERT (events in place)."""
    set_mode(store, "off")
    spent = {"group": 0.0, "rows": 0.0, "insert": 0.0, "sessions": 0.0}
    for batch in batches(events, size):
        t0 = time.perf_counter()
        sessions = group_sessions(batch)
        t1 = time.perf_counter()
        rows = sessions_arrow(list(session_rows(sessions).values()))  # noqa: F841 - by name
        t2 = time.perf_counter()
        store._execute(sessions_insert_sql("Python(rows)"))
        t3 = time.perf_counter()
        spent["group"] += t1 - t0
        spent["rows"] += t2 - t1
        spent["insert"] += t3 - t2
        spent["sessions"] += len(sessions)
    return spent


def _ratios(values: dict[str, list[float]], mode: str) -> list[str]:
    """`mode` against off: the ratio of the medians and the median of the runs' ratios."""
    if mode == "off" or "off" not in values:
        return ["1", "1"]
    pairs = [a / b for a, b in zip(values[mode], values["off"], strict=True)]
    return [f"{median(values[mode]) / median(values['off']):.3f}", f"{median(pairs):.3f}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--sessions-per-hour",
        type=int,
        default=500,
        help="busier sites spread a session over more batches (one row per session and batch)",
    )
    parser.add_argument("--modes", default=",".join(MODES), help="of: " + ", ".join(MODES))
    args = parser.parse_args()
    modes = args.modes.split(",")
    load_before = os.getloadavg()[0]
    events = generate(args.events, args.sessions_per_hour)
    # As the server does (app.py): its collector thresholds, and what exists before the work
    # frozen, so that a collection does not walk the whole generated data set.
    gc.set_threshold(*GC_THRESHOLDS)
    gc.collect()
    gc.freeze()
    sessions = len({e.properties["$session_id"] for e in events})
    rates: dict[str, list[float]] = {m: [] for m in modes}  # events/s, wall clock
    cpu_rates: dict[str, list[float]] = {m: [] for m in modes}  # events per CPU second
    with tempfile.TemporaryDirectory() as tmp:
        store = ChdbEventStore(Path(tmp) / "events.chdb")
        run(store, "off", events[: args.batch * 2], args.batch, "warmup")
        for r in range(args.runs):
            for mode in modes[r % len(modes) :] + modes[: r % len(modes)]:
                wall, cpu = run(store, mode, events, args.batch, f"r{r}")
                rates[mode].append(args.events / wall)
                cpu_rates[mode].append(args.events / cpu)
                print(f"run {r + 1} {mode}: {args.events / wall:,.0f} events/s, {cpu:.1f} s CPU")
        parts = store_parts(store, events, args.batch)
        store.close()
    rows = []
    for mode in modes:
        rows.append(
            [
                mode,
                f"{median(rates[mode]):,.0f}",
                ", ".join(f"{r:,.0f}" for r in rates[mode]),
                *_ratios(rates, mode),
                f"{1e6 / median(cpu_rates[mode]):.1f}",
                *_ratios(cpu_rates, mode),
            ]
        )
    nbatches = -(-args.events // args.batch)
    per_batch = {k: v / nbatches for k, v in parts.items()}
    breakdown = (
        f"Sessions written with each batch (`batch`), per batch of {args.batch:,} events "
        f"({per_batch['sessions']:,.0f} sessions): grouping by session "
        f"{per_batch['group'] * 1000:.1f} ms, rows (Arrow) {per_batch['rows'] * 1000:.1f} ms, "
        f"sessions INSERT {per_batch['insert'] * 1000:.1f} ms (wall clock)."
    )
    setup = (
        f"{args.events:,} events in {sessions:,} sessions ({args.sessions_per_hour:,} starting "
        f"an hour), batches of {args.batch:,}, "
        f"{args.runs} runs per mode, alternating; load average (1 min) {load_before:.2f} "
        f"before, {os.getloadavg()[0]:.2f} after."
    )
    headers = ["sessions", "events/s (median)", "runs", "/ off", "median of run ratios"]
    headers += ["CPU µs per event (median)", "CPU: / off", "CPU: median of run ratios"]
    report(
        "sessions_ingest",
        "Sessions at ingestion (bench/sessions_ingest.py)",
        [setup, md_table(headers, rows), breakdown],
        {"args": vars(args), "rates": rates, "cpu_rates": cpu_rates, "per_batch": per_batch},
    )


if __name__ == "__main__":
    main()
