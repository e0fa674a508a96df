"""Import benchmark: N events imported from Parquet with `hedgerow import`, beside the same
events captured through /batch/ by the real server (the time until ingestion has stored
them all), in one run; and the same file imported again (every uuid stored already: the cost
of the importer's uuid check).

    python bench/import.py [--events 200000] [--batch 1000] [--clients 4]

The events are EventFactory's (bench/common.py), timestamps spread over the last 30 days,
a uuid each; the Parquet file has the batch export's columns (`properties` as JSON text).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from common import TOKEN, EventFactory, Server, md_table, report
from hedgerow.ingestion.state import IngestionState


def make_events(count: int) -> list[dict[str, Any]]:
    factory = EventFactory(seed=9)
    start = datetime.now(UTC) - timedelta(days=30)
    step = timedelta(days=30) / count
    events = []
    for i in range(count):
        event = factory.capture_event((start + step * i).isoformat())
        event["uuid"] = str(uuid.UUID(int=i + 1, version=4))
        events.append(event)
    return events


def write_parquet(events: list[dict[str, Any]], path: Path) -> None:
    columns = {
        "uuid": [e["uuid"] for e in events],
        "event": [e["event"] for e in events],
        "distinct_id": [e["distinct_id"] for e in events],
        "timestamp": [e["timestamp"] for e in events],
        "properties": [orjson.dumps(e["properties"]).decode() for e in events],
    }
    pq.write_table(pa.table(columns), path, compression="zstd", row_group_size=65_536)


async def _post_all(url: str, bodies: list[bytes], clients: int) -> None:
    queue = list(reversed(bodies))
    headers = {"Content-Type": "application/json"}
    async with httpx.AsyncClient(timeout=120) as client:

        async def worker() -> None:
            while queue:
                body = queue.pop()
                while True:
                    answer = await client.post(url + "/batch/", content=body, headers=headers)
                    if answer.status_code == 200:
                        break
                    await asyncio.sleep(0.2)  # backpressure: retry

        await asyncio.gather(*(worker() for _ in range(clients)))


def capture(events: list[dict[str, Any]], batch: int, clients: int) -> dict[str, Any]:
    bodies = [
        orjson.dumps({"api_key": TOKEN, "batch": events[i : i + batch]})
        for i in range(0, len(events), batch)
    ]
    with Server() as server:
        api = httpx.Client(
            base_url=server.url, headers={"Authorization": "Bearer phx_bench_key"}, timeout=30
        )
        start = time.perf_counter()
        asyncio.run(_post_all(server.url, bodies, clients))
        accepted = time.perf_counter() - start
        while api.get("/api/projects/1/ingestion/").json()["processed"] < len(events):
            time.sleep(0.05)
        stored = time.perf_counter() - start
    return {"accepted_s": round(accepted, 2), "stored_s": round(stored, 2)}


def import_file(data_dir: Path, path: Path, *extra: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "hedgerow", "import", str(path), "--project", "1"]
    command += ["--data-dir", str(data_dir), "--no-progress", *extra]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    stored = re.search(r"ingestion: ([\d,]+) events stored", done.stderr)
    return {"seconds": round(seconds, 2), "stored": int(stored.group(1).replace(",", ""))}


def uuid_check_seconds(data_dir: Path, uuids: list[str], batch: int = 2_000) -> float:
    """The importer's look-up of stored uuids alone, batch by batch, on the stored data."""
    state = IngestionState(data_dir / "ingestion.sqlite3")
    start = time.perf_counter()
    for first in range(0, len(uuids), batch):
        state.unseen([(1, u) for u in uuids[first : first + batch]])
    seconds = time.perf_counter() - start
    state.close()
    return round(seconds, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    events = make_events(args.events)
    with tempfile.TemporaryDirectory(prefix="hedgerow-import-") as tmp:
        path = Path(tmp) / "events.parquet"
        write_parquet(events, path)
        file_mib = path.stat().st_size / 1024**2
        captured = capture(events, args.batch, args.clients)
        data_dir = Path(tmp) / "imported"
        with Server(data_dir=data_dir):
            pass  # project 1 exists
        first = import_file(data_dir, path)
        again = import_file(data_dir, path, "--restart")
        check_s = uuid_check_seconds(data_dir, [e["uuid"] for e in events])
    n = args.events
    capture_rate = n / captured["stored_s"]

    def row(what: str, seconds: float) -> list[Any]:
        return [what, seconds, f"{n / seconds:,.0f}", f"{n / seconds / capture_rate:.2f}"]

    rows = [
        row("capture through /batch/ until stored", captured["stored_s"]),
        row("`hedgerow import` of the Parquet file", first["seconds"]),
        row("the same file again (every uuid stored already)", again["seconds"]),
    ]
    assert first["stored"] == n and again["stored"] == 0, (first, again)
    sections = [
        f"{n:,} events (Parquet file {file_mib:.1f} MiB); capture: {args.clients} clients, "
        f"{args.batch} events per /batch/ body, {captured['accepted_s']} s until the last "
        "was accepted.",
        md_table(["run", "seconds", "events/s", "ratio to capture"], rows),
        f"The look-up of stored uuids alone (what the import does before each batch of "
        f"2,000): {check_s} s for {n:,} uuids, "
        f"{check_s / first['seconds'] * 100:.1f}% of the import's time.",
    ]
    data = {"events": n, "capture": captured, "import": first, "import_again": again}
    data["uuid_check_s"] = check_s
    report("import", "Import from Parquet beside capture", sections, data)


if __name__ == "__main__":
    main()
