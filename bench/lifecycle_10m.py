"""Issue 20's figures on ten million events, in one run: export to Parquet (rows per second,
peak resident memory), import from Parquet beside capture of the same rows through /batch/
(their ratio), and erasure of one person (seconds until no trace).

    nice -n 5 python bench/lifecycle_10m.py --data-dir /work/bench-data/events-10m \
        --work /work/bench-data/NAME-lifecycle [--slice 1000000]

Steps: `--data-dir` is copied to `--work`/a (never written in place), its stores opened once
(migrations, untimed), and that copy copied again to `--work`/b, so both hold the same events.
1. Every event of a exported to Parquet by the shipped code (`export_to_file`), in a process
   of its own: rows/s, its resident size before the export began and its peak (ru_maxrss).
2. The first `--slice` rows of that file (oldest first) with new uuids, as a Parquet file of
   the batch export's columns: imported into a with `hedgerow import` (the whole command,
   until stored), then captured into b through /batch/ by `hedgerow serve` (4 clients, 1,000
   events a body, until ingestion has stored them). The same rows both ways, each into a
   store that already holds the ten million events.
3. With that server still running, two persons of the slice (made by the capture, their
   distinct ids also in the ten million), the busiest and one of median activity, erased
   with their events, one after the other: DELETE, the job polled until done, then SQL and
   the persons list asked until they find nothing.
The load average (1 min) is noted at the start and end of each step; the machine is shared.
Prints a Markdown report and writes bench/results/lifecycle_10m.{md,json}."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from common import API_KEY, RESULTS, TOKEN, Server, md_table, report

SLICE_COLUMNS = ["uuid", "event", "distinct_id", "timestamp", "properties"]
SLICE_UUIDS = uuid.UUID("6c1f1e57-0b7e-4a53-9d8f-0d5a3c1e2b10")
BODY_EVENTS = 1_000
CLIENTS = 4


def load() -> float:
    return round(os.getloadavg()[0], 2)


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def export_child(
    data: Path, out: Path, block_rows: int | None = None, window_rows: int | None = None
) -> dict[str, Any]:
    """In a process of its own: the shipped export of every event to Parquet (with other
    block or window sizes when given, to compare)."""
    from hedgerow.export import source as export_source
    from hedgerow.export.files import export_to_file
    from hedgerow.export.formats import BLOCK_ROWS
    from hedgerow.export.source import counted_source
    from hedgerow.query.core import QueryEnv
    from hedgerow.store.chdb import ChdbEventStore

    if window_rows:
        export_source.WINDOW_ROWS = window_rows
    store = ChdbEventStore(data / "events.chdb")
    team = int(store.query("SELECT team_id FROM hedgerow.events LIMIT 1").rows[0][0])
    source, rows = counted_source(QueryEnv(store, team), {"kind": "EventsQuery"}, 10**10)
    before = rss_mib()
    start = time.perf_counter()
    export_to_file(store, source, "parquet", out, block_rows=block_rows or BLOCK_ROWS)
    seconds = time.perf_counter() - start
    store.close()
    return {
        "rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "rss_before_mib": round(before),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "file_mib": round(out.stat().st_size / 1024**2, 1),
        "block_rows": block_rows or BLOCK_ROWS,
        "window_rows": export_source.WINDOW_ROWS,
        "windows": len(source.windows),
    }


def open_once(data: Path) -> float:
    """Open a copy's stores once (an older dataset gets its migrations), timed apart."""
    code = (
        "import sys; from pathlib import Path; from hedgerow.app import build_components; "
        "from hedgerow.settings import Settings; "
        "build_components(Settings.load({'data_dir': Path(sys.argv[1])})).close()"
    )
    start = time.monotonic()
    subprocess.run([sys.executable, "-c", code, str(data)], check=True, capture_output=True)
    return time.monotonic() - start


def write_slice(export: Path, out: Path, count: int) -> tuple[int, list[str]]:
    """The export's first `count` rows with new uuids; (rows, [the busiest distinct id, one
    of median activity])."""
    parquet = pq.ParquetFile(export)
    tables, taken = [], 0
    for batch in parquet.iter_batches(batch_size=65_536, columns=SLICE_COLUMNS):
        table = pa.Table.from_batches([batch]).slice(0, count - taken)
        tables.append(table)
        taken += table.num_rows
        if taken >= count:
            break
    rows = pa.concat_tables(tables)
    fresh = [str(uuid.uuid5(SLICE_UUIDS, u)) for u in rows.column("uuid").to_pylist()]
    column = rows.schema.get_field_index("uuid")
    rows = rows.set_column(column, "uuid", pa.array(fresh, pa.string()))
    pq.write_table(rows, out, compression="zstd", row_group_size=65_536)
    counts = rows.group_by("distinct_id").aggregate([("uuid", "count")])
    ranked = counts.sort_by([("uuid_count", "descending")]).column("distinct_id")
    assert pc.count_distinct(rows.column("uuid")).as_py() == rows.num_rows
    return rows.num_rows, [str(ranked[0].as_py()), str(ranked[len(ranked) // 2].as_py())]


def capture_bodies(path: Path) -> Iterator[bytes]:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=BODY_EVENTS):
        events = [
            {**row, "properties": orjson.loads(row["properties"] or "{}")}
            for row in batch.to_pylist()
        ]
        yield orjson.dumps({"api_key": TOKEN, "batch": events})


async def post_all(url: str, bodies: Iterator[bytes]) -> dict[str, int]:
    """Send every body, retrying refusals and dropped connections as the SDKs do; the
    answers seen besides 200 and the connections dropped, by kind."""
    seen: dict[str, int] = {}
    sent = 0
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=300) as client:

        async def sender() -> None:
            nonlocal sent
            for body in bodies:  # one iterator shared: each body sent once
                while True:
                    try:
                        answer = await client.post(
                            url + "/batch/",
                            content=body,
                            headers={"Content-Type": "application/json"},
                        )
                    except httpx.TransportError as error:
                        kind = type(error).__name__
                        seen[kind] = seen.get(kind, 0) + 1
                        print(f"  {kind} after {time.monotonic() - started:.0f} s", flush=True)
                        await asyncio.sleep(0.2)
                        continue
                    if answer.status_code == 200:
                        break
                    kind = f"{answer.status_code} {answer.json().get('code', '')}"
                    seen[kind] = seen.get(kind, 0) + 1
                    await asyncio.sleep(0.2)  # backpressure: retry
                sent += 1
                if sent % 1000 == 0:
                    elapsed = time.monotonic() - started
                    print(f"  {sent * BODY_EVENTS:,} accepted in {elapsed:.0f} s", flush=True)

        await asyncio.gather(*(sender() for _ in range(CLIENTS)))
    return seen


def handled(api: httpx.Client) -> int:
    status = api.get("/api/projects/1/ingestion/").json()
    return int(status["processed"]) + sum(int(n) for n in status["discarded"].values())


def import_slice(data: Path, path: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "hedgerow", "import", str(path), "--project", "1"]
    command += ["--data-dir", str(data), "--no-progress"]
    loads = [load()]
    start = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - start
    loads.append(load())
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    stored = re.search(r"ingestion: ([\d,]+) events stored", done.stderr)
    assert stored is not None, done.stderr
    return {"seconds": round(seconds, 1), "stored": int(stored[1].replace(",", "")), "load": loads}


def sql_count(api: httpx.Client, sql: str) -> int:
    """A count by SQL, computed now (`force_blocking`: never the result cache's answer)."""
    body = {"query": {"kind": "HogQLQuery", "query": sql}, "refresh": "force_blocking"}
    answer = api.post("/api/projects/1/query/", json=body)
    answer.raise_for_status()
    return int(answer.json()["results"][0][0])


def erase(api: httpx.Client, distinct_id: str) -> dict[str, Any]:
    """Erase the person of `distinct_id` with its events; seconds until nothing is found."""
    [person] = api.get("/api/projects/1/persons/", params={"distinct_id": distinct_id}).json()[
        "results"
    ]
    ids = ", ".join("'" + d.replace("'", "\\'") + "'" for d in person["distinct_ids"])
    where = f"distinct_id IN ({ids}) OR person_id = '{person['id']}'"
    events = sql_count(api, f"SELECT count() FROM events WHERE {where}")
    loads = [load()]
    start = time.monotonic()
    job = api.delete(f"/api/projects/1/persons/{person['id']}/?delete_events=true").json()
    while job["status"] not in ("done", "failed"):
        time.sleep(0.1)
        job = api.get(f"/api/projects/1/erasures/{job['id']}/").json()
    job_seconds = time.monotonic() - start
    assert job["status"] == "done", job
    while (
        sql_count(api, f"SELECT count() FROM events WHERE {where}")
        or api.get("/api/projects/1/persons/", params={"distinct_id": distinct_id}).json()[
            "results"
        ]
    ):
        time.sleep(0.1)
    seconds = time.monotonic() - start
    loads.append(load())
    return {
        "distinct_ids": len(person["distinct_ids"]),
        "events_before": events,
        "events_deleted": job["events_deleted"],
        "job_seconds": round(job_seconds, 2),
        "seconds_until_no_trace": round(seconds, 2),
        "load": loads,
    }


def capture_and_erase(data: Path, path: Path, rows: int, persons: list[str]) -> dict[str, Any]:
    with Server(data) as server:
        api = httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=600
        )
        before = handled(api)
        loads = [load()]
        start = time.monotonic()
        try:
            refused = asyncio.run(post_all(server.url, capture_bodies(path)))
        finally:
            shutil.copy(server.log_path, RESULTS / "lifecycle_10m-server.log")
        accepted = time.monotonic() - start
        deadline = time.monotonic() + 4 * 3600
        while handled(api) - before < rows:
            if time.monotonic() > deadline:
                raise RuntimeError(f"capture: {handled(api) - before} of {rows} handled")
            time.sleep(0.2)
        seconds = time.monotonic() - start
        loads.append(load())
        stored = int(api.get("/api/projects/1/ingestion/").json()["processed"])
        erasures = [erase(api, distinct_id) for distinct_id in persons]
        shutil.copy(server.log_path, RESULTS / "lifecycle_10m-server.log")
    capture: dict[str, Any] = {"accepted_seconds": round(accepted, 1), "seconds": round(seconds, 1)}
    capture["refused"] = refused
    return {**capture, "stored": stored, "load": loads, "erasures": erasures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument(
        "--work", type=Path, required=True, help="a directory of its own (removed at the end)"
    )
    parser.add_argument("--slice", type=int, default=1_000_000)
    parser.add_argument("--keep", action="store_true", help="keep --work afterwards")
    parser.add_argument(
        "--import-result",
        help="the import's figures (JSON, as printed) from an earlier run: capture only",
    )
    parser.add_argument("--export-child", nargs=2, help=argparse.SUPPRESS)  # DATA OUT
    parser.add_argument("--block-rows", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--window-rows", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        data, out = map(Path, args.export_child)
        print(json.dumps(export_child(data, out, args.block_rows, args.window_rows)))
        return
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    try:
        a, b, exported, sliced = (
            work / "a",
            work / "b",
            work / "all.parquet",
            work / "slice.parquet",
        )
        if not (a / "migrated").exists():  # a run stopped after this keeps its copy
            shutil.rmtree(a, ignore_errors=True)
            shutil.copytree(args.data_dir, a, symlinks=True)  # chDB links are relative
            (a / "migrated").write_text(str(open_once(a)))
        migrations = float((a / "migrated").read_text())
        shutil.rmtree(b, ignore_errors=True)
        shutil.copytree(a, b, symlinks=True)
        print(f"copies ready (migrations {migrations:.0f} s), load {load()}", flush=True)

        loads = [load()]
        child = [sys.executable, __file__, "--data-dir", str(a), "--work", str(work)]
        done = subprocess.run(
            [*child, "--export-child", str(a), str(exported)], capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(done.stderr[-2000:])
        export = {**json.loads(done.stdout.strip().splitlines()[-1]), "load": [*loads, load()]}
        print("export", export, flush=True)

        rows, persons = write_slice(exported, sliced, args.slice)
        # --import-result: the import measured by an earlier run of the same data
        importing = args.import_result is None
        imported = import_slice(a, sliced) if importing else json.loads(args.import_result)
        print("import", imported, flush=True)
        captured = capture_and_erase(b, sliced, rows, persons)
        print("capture", captured, flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if imported["stored"] != rows or captured["stored"] < rows:
        print(f"WARNING: {rows} rows, import stored {imported['stored']}", file=sys.stderr)
    erasures = captured.pop("erasures")
    import_rate, capture_rate = rows / imported["seconds"], rows / captured["seconds"]

    def loads_text(values: list[float]) -> str:
        return " → ".join(f"{v:.1f}" for v in values)

    table = md_table(
        ["measure", "value", "load average (1 min, start → end)"],
        [
            ["events in the store", f"{export['rows']:,}", ""],
            [
                "export to Parquet",
                f"{export['seconds']} s, {export['rows_per_second']:,} rows/s, "
                f"{export['file_mib']:,} MiB",
                loads_text(export["load"]),
            ],
            [
                "export: resident memory before / peak",
                f"{export['rss_before_mib']} / {export['peak_rss_mib']} MiB",
                "",
            ],
            [
                f"`hedgerow import` of {rows:,} rows (Parquet) into the 10M store",
                f"{imported['seconds']} s, {import_rate:,.0f} events/s",
                loads_text(imported["load"]),
            ],
            [
                f"capture of the same {rows:,} rows through /batch/ until stored",
                f"{captured['seconds']} s, {capture_rate:,.0f} events/s",
                loads_text(captured["load"]),
            ],
            ["ratio import / capture", f"{import_rate / capture_rate:.2f}", ""],
            *(
                [
                    f"erase the {which} person ({erasure['distinct_ids']} distinct ids, "
                    f"{erasure['events_before']:,} events) until no trace",
                    f"{erasure['seconds_until_no_trace']} s (job {erasure['job_seconds']} s, "
                    f"{erasure['events_deleted']:,} events deleted)",
                    loads_text(erasure["load"]),
                ]
                for which, erasure in zip(("busiest", "median"), erasures, strict=True)
            ),
        ],
    )
    figures = {"export": export, "import": imported, "capture": captured, "erasures": erasures}
    figures.update(slice_rows=rows, migrations_seconds=round(migrations, 1))
    figures["capture_refusals"] = captured["refused"]
    report("lifecycle_10m", "Issue 20 at ten million events", [table], figures)


if __name__ == "__main__":
    main()
