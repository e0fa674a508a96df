"""Scale-out on one machine: capture with 1 and 2 `hedgerow capture` processes, ingestion
with 1 and 2 `hedgerow ingest` workers, beside the embedded configuration, in the same run.

Capture: the intake on a nats-server started here; K capture processes (no ingestion: the
stream absorbs), each driven by its own wrk (1 thread, --connections each) with /batch/
bodies of --events events for --seconds; events acknowledged per second, summed. Reference:
`hedgerow serve` with the embedded SQLite intake, under one wrk of the same shape.

Ingestion: --events-total events prefilled into a fresh stream (requests of 100 events of
random distinct ids, all 12 partitions), then W workers started paused (a pause file), left
to share the partitions, and resumed together; the drain rate is the events divided by the
time until every partition's committed offset reaches the stream's head. Configurations:
one worker with embedded stores (SQLite persons, chDB events), then one and two workers with
persons on PostgreSQL and events on a ClickHouse server (the tests' throwaway servers).
Where the time goes: the CPU seconds each process used during the drain.

Not run yet (written at the end of issue 17's partitioning step; no figures in
docs/benchmarks.md come from it). Every figure is beside its reference from the same run,
as a ratio. The machine is shared (2 cores, other engineers' work): the ratios, not the
rates, are what to read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
import orjson

from capture import LUA, wrk
from common import (
    ROOT,
    EventFactory,
    Server,
    batch_body,
    free_port,
    md_table,
    report,
    server_environment,
    tree_cpu_seconds,
)
from jetstream import JetStreamServer

sys.path.insert(0, str(ROOT / "tests"))

from clickhouse_server import ClickHouseServer  # the tests' throwaway servers

from postgres_server import PostgresServer


class Process:
    """`python -m hedgerow <command>` with the environment given, until stopped."""

    def __init__(self, command: str, data_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"{data_dir.name}-{command}-{self.port}.log"
        full = server_environment(data_dir, self.port, **env)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hedgerow", command], env=full, stdout=log, stderr=log
            )

    def wait(self, ready: str) -> Process:
        deadline = time.monotonic() + 120
        while ready not in self.log_path.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(self.log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.1)
        return self

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(60)


# -- capture -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Endpoint:
    url: str  # what `wrk` needs of a server


def capture_rate(urls: list[str], script: Path, args: argparse.Namespace) -> float:
    """Events acknowledged per second by these capture endpoints, one wrk each at once."""
    shape = argparse.Namespace(threads=1, connections=args.connections)
    results: list[dict[str, Any]] = []

    def run(url: str) -> None:
        results.append(wrk(_Endpoint(url), script, args.seconds, shape))  # type: ignore[arg-type]

    runners = [threading.Thread(target=run, args=(url,)) for url in urls]
    for runner in runners:
        runner.start()
    for runner in runners:
        runner.join()
    return sum(float(r["req_per_s"]) for r in results) * args.events


def measure_capture(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    factory = EventFactory(seed=3)
    body_file, script = tmp / "bodies.jsonl", tmp / "batch.lua"
    body_file.write_bytes(b"\n".join(batch_body(factory, args.events) for _ in range(64)) + b"\n")
    script.write_text(LUA % {"file": json.dumps(str(body_file)), "path": json.dumps("/batch/")})
    rates: dict[str, float] = {}
    with Server() as serve:  # the reference: everything embedded, in one process
        rates["serve, embedded intake"] = capture_rate([serve.url], script, args)
    for count in (1, 2):
        with JetStreamServer() as stream:
            data, pause = tmp / f"capture-{count}", tmp / f"capture-{count}.pause"
            pause.write_text("")  # the stream absorbs: ingestion waits
            env = {"HEDGEROW_INTAKE_URL": stream.url, "HEDGEROW_INGESTION_PAUSE_FILE": str(pause)}
            owner = Process("ingest", data, **env).wait("is ingesting")  # makes project 1
            captures = [Process("capture", data, **env) for _ in range(count)]
            try:
                for capture in captures:
                    capture.wait("is serving")
                rates[f"{count} x capture, NATS"] = capture_rate(
                    [c.url for c in captures], script, args
                )
            finally:
                for process in [*captures, owner]:
                    process.stop()
    return rates


# -- ingestion ---------------------------------------------------------------------------


def prefill(url: str, total: int) -> int:
    """`total` events in requests of 100 into the stream; the last offset."""
    from hedgerow.intake.jetstream import JetStreamIntakeLog

    factory = EventFactory(seed=5)
    intake = JetStreamIntakeLog(url)
    now = time.strftime("%Y-%m-%d %H:%M:%S.000000", time.gmtime())

    async def publish() -> int:
        last = 0
        for start in range(0, total, 100):
            records = []
            for n in range(start, min(total, start + 100)):
                event = factory.capture_event(now)
                uuid = f"00000000-0000-7000-8000-{n:012d}"
                records.append({**event, "uuid": uuid, "now": now, "sent_at": None})
            last = await intake.append(1, len(records), orjson.dumps(records))
        return last

    try:
        return asyncio.run(publish())
    finally:
        intake.close()


def committed_low(url: str, partitions: int) -> int:
    async def read() -> int:
        nc = await nats.connect(url)
        try:
            kv = await nc.jetstream().key_value("hedgerow_intake_offsets")
            values = [
                int((await kv.get(f"ingestion.p{n}")).value or b"0") for n in range(partitions)
            ]
            return min(values)
        finally:
            await nc.close()

    try:
        return asyncio.run(read())
    except Exception:  # the keys appear once the first worker has started
        return 0


def drain(
    args: argparse.Namespace, tmp: Path, name: str, workers: int, env: dict[str, str]
) -> dict[str, Any]:
    with JetStreamServer() as stream:
        head = prefill(stream.url, args.events_total)
        pause = tmp / f"{name}.pause"
        pause.write_text("")
        env = {
            **env,
            "HEDGEROW_INTAKE_URL": stream.url,
            "HEDGEROW_INGESTION_PAUSE_FILE": str(pause),
        }
        procs = [
            Process("ingest", tmp / f"{name}-{n}", **env).wait("is ingesting")
            for n in range(workers)
        ]
        try:
            time.sleep(8)  # the workers share the partitions (leases), still paused
            cpu = {n: tree_cpu_seconds(p.process.pid) for n, p in enumerate(procs)}
            began = time.monotonic()
            pause.unlink()
            while committed_low(stream.url, 12) < head:
                if time.monotonic() - began > args.timeout:
                    raise RuntimeError(f"{name}: not drained in {args.timeout} s")
                time.sleep(0.2)
            seconds = time.monotonic() - began
            used = {n: tree_cpu_seconds(p.process.pid) - cpu[n] for n, p in enumerate(procs)}
        finally:
            for process in procs:
                process.stop()
    return {"seconds": seconds, "events_per_s": args.events_total / seconds, "worker_cpu_s": used}


def measure_ingestion(args: argparse.Namespace, tmp: Path) -> dict[str, dict[str, Any]]:
    results = {"1 worker, embedded stores": drain(args, tmp, "embedded", 1, {})}
    postgres = PostgresServer().start()
    clickhouse = ClickHouseServer().start()
    try:
        for workers in (1, 2):
            postgres.reset()
            clickhouse.reset()
            env = {"HEDGEROW_PERSONS_URL": postgres.url, "HEDGEROW_EVENTS_URL": clickhouse.url}
            name = f"{workers} worker{'s' if workers > 1 else ''}, PostgreSQL + ClickHouse"
            results[name] = drain(args, tmp, f"servers-{workers}", workers, env)
    finally:
        clickhouse.stop()
        postgres.remove()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=50, help="events per capture request")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections per process")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--events-total", type=int, default=100_000, help="events to ingest")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--skip-capture", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hedgerow-scaleout-") as name:
        tmp = Path(name)
        capture = {} if args.skip_capture else measure_capture(args, tmp)
        ingestion = measure_ingestion(args, tmp)
    sections = []
    if capture:
        reference = capture["serve, embedded intake"]
        rows = [[k, f"{v:,.0f}", f"{v / reference:.2f}"] for k, v in capture.items()]
        sections.append(md_table(["capture", "events/s", "vs serve embedded"], rows))
    reference = ingestion["1 worker, embedded stores"]["events_per_s"]
    rows = [
        [
            k,
            f"{v['events_per_s']:,.0f}",
            f"{v['events_per_s'] / reference:.2f}",
            ", ".join(f"{s:.1f}" for s in v["worker_cpu_s"].values()),
        ]
        for k, v in ingestion.items()
    ]
    headers = ["ingestion", "events/s", "vs embedded", "worker CPU s"]
    sections.append(md_table(headers, rows))
    report(
        "scaleout",
        "Scale-out on one machine",
        sections,
        {"capture": capture, "ingestion": ingestion},
    )


if __name__ == "__main__":
    main()
