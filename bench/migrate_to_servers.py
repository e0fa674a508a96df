"""`hedgerow migrate --to` of an embedded installation onto a PostgreSQL cluster and a
ClickHouse server started for the run, beside a reference copy of the same events measured
in the same run.

    python bench/migrate_to_servers.py --work-dir /work/bench-data/<name>-migrate \\
        (--data-dir /work/bench-data/events-10m | --events 200000) [--window-rows 100000]

`--data-dir` is COPIED into `--work-dir` first (the source is never opened in place) and
opened once before timing (an older dataset's stores upgrade then: the 10M dataset's
upgrade grew past 13 GB of memory on the 23 GB machine and was stopped). `--events N` makes
an installation instead: `hedgerow project create`, then `hedgerow import` of N events of
N/10 users (pageviews, an `$identify` per user merging an anonymous id, purchases) over 30
days. The servers are the
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
import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
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


def _generated(data: Path, events: int) -> None:
    """An embedded installation of `events` events, made through `hedgerow import`."""
    hedgerow = [sys.executable, "-m", "hedgerow"]
    made = subprocess.run(
        [*hedgerow, "project", "create", "--name", "Bench", "--data-dir", str(data)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    found = re.search(r"project id:\s+(\d+)", made)
    assert found, made
    users, start = max(1, events // 10), datetime(2026, 11, 1, tzinfo=UTC)
    source = data.parent / "events.jsonl"
    with source.open("w") as out:
        for i in range(events):
            user, kind = i % users, (i // users) % 10
            row: dict[str, Any] = {
                "uuid": str(uuid.uuid4()),
                "event": "$pageview" if kind < 7 else ("$identify" if kind == 7 else "bought"),
                "distinct_id": f"anon-{user}" if kind < 4 else f"user-{user}",
                "timestamp": (start + timedelta(seconds=i * 2_592_000 // events)).isoformat(),
                "properties": {"$session_id": f"s-{user}-{kind // 4}", "n": i},
            }
            if kind == 7:
                row["properties"]["$anon_distinct_id"] = f"anon-{user}"
            out.write(json.dumps(row) + "\n")
    subprocess.run(
        [*hedgerow, "import", str(source), "--project", found.group(1), "--data-dir", str(data)],
        check=True,
        capture_output=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--data-dir", type=Path)
    source.add_argument("--events", type=int)
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--window-rows", type=int, default=100_000)
    args = parser.parse_args()
    data = args.work_dir / "data"
    shutil.rmtree(args.work_dir, ignore_errors=True)
    args.work_dir.mkdir(parents=True)
    if args.data_dir:
        shutil.copytree(args.data_dir, data, symlinks=True)  # as `cp -a`: chDB links metadata
    else:
        _generated(data, args.events)
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
        f"Source: {args.data_dir or f'{args.events:,} events imported'}; windows of "
        f"{args.window_rows:,} rows.",
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
