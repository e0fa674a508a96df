"""The one-time backfill of the sessions table of a store from before it (per million
stored events). What keeping sessions costs at insert: `bench/sessions_ingest.py`.

Events are generated in ClickHouse (page views and autocaptures of sessions of ~8 events
with URLs, referrers, UTM values and devices, as hedgerow.js sends them) and inserted into
the events table in batches of `--batch` rows (SQL inserts: no sessions kept), then the
sessions table is built from them as a store from before it is (`sessions_backfill.py`, in
windows of time). Its memory on a large old store: `bench/sessions_upgrade.py`. Run it on
a quiet machine:

    .venv/bin/python bench/sessions.py [--events 1000000] [--batch 5000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE
from hedgerow.store.sessions_backfill import backfill_sessions, forget_progress

PROPERTIES = (
    "concat('{\"$session_id\":\"s', toString(intDiv(number, 8)), '\",'"
    ", '\"$current_url\":\"https://www.site.io/p/', toString(number % 50), '\",'"
    ", '\"$referring_domain\":\"', ['$direct','www.google.com','t.co'][number % 3 + 1], '\",'"
    ", '\"utm_source\":\"', ['','google','newsletter'][number % 3 + 1], '\",'"
    ', \'"$browser":"Chrome","$os":"Mac OS X","$device_type":"Desktop"}\')'
)


def insert_batches(store: ChdbEventStore, events: int, batch: int) -> float:
    started = time.perf_counter()
    for offset in range(0, events, batch):
        store._execute(
            f"INSERT INTO {DATABASE}.events (uuid, team_id, event, distinct_id, timestamp, "
            "created_at, properties, elements_chain, person_id, person_idx, person_properties, "
            "person_created_at, person_mode) "
            "SELECT generateUUIDv4(), 1, if(number % 4 = 3, '$autocapture', '$pageview'), "
            "toString(intDiv(number, 40)), now64(6) + number, now64(6), "
            f"{PROPERTIES}, '', generateUUIDv4(), 0, '{{}}', now64(6), 'full' "
            f"FROM numbers({offset}, {min(batch, events - offset)})"
        )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5_000)
    args = parser.parse_args()
    per_million = 1_000_000 / args.events
    with tempfile.TemporaryDirectory() as tmp:
        store = ChdbEventStore(Path(tmp) / "events.chdb")
        inserted = insert_batches(store, args.events, args.batch)
        started = time.perf_counter()
        backfill_sessions(store._execute, store._select)  # empties the table first
        backfill = time.perf_counter() - started
        forget_progress(store._execute)
        store.close()
    print(f"insert (events only): {inserted * per_million:.1f} s per million events")
    print(f"backfill: {backfill * per_million:.1f} s per million stored events")


if __name__ == "__main__":
    main()
