"""`hedgerow migrate --to` of an embedded installation onto a PostgreSQL cluster and a
ClickHouse server started for the run, beside a reference copy of the same events measured
in the same run.

    python bench/migrate_to_servers.py --data-dir /work/bench-data/events-10m \\
        --work-dir /work/bench-data/<name>-migrate [--window-rows 100000]

`--data-dir` is COPIED into `--work-dir` first (the source is never opened in place) and
opened once before timing (an older dataset's stores upgrade then). The servers are the
tests' throwaway ones (tests/postgres_server.py with fsync on, tests/clickhouse_server.py),
on the same disk and cores as the migration.

Reported: the wall time of each phase the command prints, events per second, and the
reference: the same events streamed from chDB to the server as one INSERT in the Native
format (no windows, no counts, no checkpoint) into a second table of the same schema. The
ratio (migration's events phase / reference) is the price of the windows, their counts on
both sides and the checkpoint.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import md_table, report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from clickhouse_server import ClickHouseServer  # the tests' throwaway server
from hedgerow.migration.clickhouse_copy import stored_columns
from hedgerow.migration.source import open_source
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.clickhouse_server import connect

from postgres_server import PostgresServer

PHASE = re.compile(r"^(?P<label>[a-z ,]+): (?P<rows>[\d,]+) rows in (?P<seconds>[\d.]+) s$", re.M)


def _reference_copy(data: Path, url: str) -> tuple[int, float]:
    """Every event streamed from chDB into `reference.events` in one INSERT."""
    client = connect(url)
    client.command("CREATE DATABASE IF NOT EXISTS reference")
    client.command("CREATE TABLE reference.events AS hedgerow.events")
    store = ChdbEventStore(data / "events.chdb")
    try:
        columns = stored_columns(store, "events")
        names = ", ".join(f"`{c}`" for c in columns)
        started = time.perf_counter()
        blocks = store.stream(f"SELECT {names} FROM hedgerow.events", output="Native")
        client.raw_insert("reference.events", columns, blocks, fmt="Native")
        seconds = time.perf_counter() - started
    finally:
        store.close()
    rows = int(client.command("SELECT count() FROM reference.events"))
    client.command("DROP DATABASE reference SYNC")
    return rows, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--window-rows", type=int, default=100_000)
    args = parser.parse_args()
    data = args.work_dir / "data"
    shutil.rmtree(args.work_dir, ignore_errors=True)
    args.work_dir.mkdir(parents=True)
    shutil.copytree(args.data_dir, data, symlinks=True)  # as `cp -a`: chDB links its metadata
    open_source(data).close()  # upgrades, if any, before the clock starts
    postgres = PostgresServer(durable=True).start()
    clickhouse = ClickHouseServer().start()
    try:
        command = [sys.executable, "-m", "hedgerow", "migrate", "--to", "--data-dir", str(data)]
        command += ["--persons-url", postgres.url, "--events-url", clickhouse.url]
        command += ["--window-rows", str(args.window_rows), "--no-progress"]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        total = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"the migration failed:\n{done.stdout}\n{done.stderr}")
        phases = {
            m["label"]: (int(m["rows"].replace(",", "")), float(m["seconds"]))
            for m in PHASE.finditer(done.stdout)
        }
        reference_rows, reference_seconds = _reference_copy(data, clickhouse.url)
    finally:
        clickhouse.stop()
        postgres.remove()
        shutil.rmtree(args.work_dir, ignore_errors=True)
    events_seconds = phases["events"][1]
    rows: list[list[Any]] = [
        [label, f"{n:,}", f"{s:.1f}", f"{n / s:,.0f}" if s else "-"]
        for label, (n, s) in phases.items()
    ]
    rows.append(["whole command (opening, counts)", "", f"{total:.1f}", ""])
    rows.append(
        [
            "reference: one INSERT of every event",
            f"{reference_rows:,}",
            f"{reference_seconds:.1f}",
            f"{reference_rows / reference_seconds:,.0f}",
        ]
    )
    ratio = events_seconds / reference_seconds
    sections = [
        f"Source: a copy of {args.data_dir}; windows of {args.window_rows:,} rows.",
        md_table(["phase", "rows", "seconds", "rows/s"], rows),
        f"Events phase / reference: **{ratio:.2f}x** the time.",
    ]
    data_out = {
        "phases": phases,
        "total_seconds": total,
        "reference": {"rows": reference_rows, "seconds": reference_seconds},
        "events_over_reference": ratio,
        "window_rows": args.window_rows,
    }
    report("migrate_to_servers", "hedgerow migrate --to", sections, data_out)


if __name__ == "__main__":
    main()
