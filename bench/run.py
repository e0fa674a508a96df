"""Run every benchmark in sequence (what `make bench` does) and write bench/results/summary.md.

Defaults: properties_storage.py with 1,000,000 events, capture.py (3 runs of 10 s per
scenario), ingestion.py --quick (100,000 events; pass --full for 1,000,000) and
browser_sdk.py (size as served, cost in Chromium) and webapp_load.py (the web app's first
load in Chromium). --quick
makes every benchmark quick. Each benchmark runs as its own process with a time limit; one
that fails is recorded in the summary and the others still run. The 10M-event memory run is
not included: run `bench/ingestion.py --memory-events 10000000` for it; nor are the web app's
/events over 10M events (`bench/webapp_events.py`, loads them first) and live mode under
capture (`bench/webapp_live.py`).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from common import RESULTS, machine, machine_md

BENCH = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="quick mode for every benchmark")
    parser.add_argument("--full", action="store_true", help="ingestion with 1,000,000 events")
    args = parser.parse_args()
    quick = ["--quick"] if args.quick else []
    plan = [
        ("properties_storage", quick, 3600),
        ("capture", quick, 1800),
        ("ingestion", quick if args.quick or args.full else ["--quick"], 3600),
        ("browser_sdk", quick, 600),
        ("webapp_load", quick, 900),
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    parts = ["# Hedgerow benchmarks", machine_md(machine())]
    for name, extra, limit in plan:
        command = [sys.executable, str(BENCH / f"{name}.py"), *extra]
        print(f"$ {' '.join(command)}", flush=True)
        started = time.monotonic()
        try:
            done = subprocess.run(command, timeout=limit)
            ok = done.returncode == 0
            outcome = "ok" if ok else f"failed with exit code {done.returncode}"
        except subprocess.TimeoutExpired:
            ok, outcome = False, f"stopped after the {limit} s limit"
        seconds = time.monotonic() - started
        parts.append(
            f"`{' '.join(['bench/' + name + '.py', *extra])}`: {outcome} ({seconds:.0f} s)"
        )
        section = RESULTS / f"{name}.md"
        if ok and section.exists():
            parts.append(section.read_text().strip())
    summary = RESULTS / "summary.md"
    summary.write_text("\n\n".join(parts) + "\n")
    print(f"wrote {summary}")


if __name__ == "__main__":
    main()
