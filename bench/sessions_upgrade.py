"""Opening a store from before the sessions table: the time the start-up upgrade takes (the
sessions backfill above all) and the process's peak resident memory (VmHWM: chDB runs in the
process), on a copy of an old store, which the run upgrades (make a new copy for each run).

A store from before the table: load one with the code from before it, e.g.

    git worktree add --detach /tmp/old e7bd251
    PYTHONPATH=/tmp/old/src .venv/bin/python /tmp/old/bench/analytics.py --quick --load-only \\
        --data-dir /tmp/old-1m

then, for each run (the reference: the same script with PYTHONPATH on the code to compare):

    cp -a /tmp/old-1m /tmp/run && nice -n 10 .venv/bin/python bench/sessions_upgrade.py \\
        /tmp/run/events.chdb; rm -rf /tmp/run

Prints one JSON line: seconds to open, peak resident MiB, sessions and stored events, and
the load average when it started.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import time
from pathlib import Path

from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE


def peak_resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("store", type=Path, help="events.chdb of a copy of an old store")
    parser.add_argument(
        "--window-events", type=int, default=0, help="the backfill's window (default: its own)"
    )
    args = parser.parse_args()
    if args.window_events:  # code from before the windows has no such module
        from hedgerow.store import sessions_backfill

        sessions_backfill.WINDOW_EVENTS = args.window_events
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    load = os.getloadavg()
    before = peak_resident_mib()
    started = time.perf_counter()
    store = ChdbEventStore(args.store)
    seconds = time.perf_counter() - started
    peak = peak_resident_mib()
    sessions = store.run(f"SELECT uniqExact(team_id, session_id) FROM {DATABASE}.sessions").rows
    events = store.run(f"SELECT count() FROM {DATABASE}.events").rows
    store.close()
    report = {
        "open_seconds": round(seconds, 1),
        "peak_resident_mib": round(peak),
        "peak_before_open_mib": round(before),
        "sessions": int(sessions[0][0]),
        "events": int(events[0][0]),
        "load_average": [round(x, 2) for x in load],
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
