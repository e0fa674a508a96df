"""Ingestion of the real server: intake log -> queryable, and end-to-end latency.

Starts `python -m hedgerow serve` (own temporary data directory, free port, buffer off) and:
1. Pre-loads N events (default 1,000,000; --quick 100,000) through POST /batch/ as fast as it
   can: --clients concurrent httpx connections, --batch events per body, bodies pre-built (a
   few hundred variants, rotated, no uuids so the server generates fresh ones).
2. Samples GET /api/projects/1/ingestion/ every 0.25 s from the start of the pre-load until
   the queue is empty. Sustained ingestion rate = processed delta / time between the first
   and the last sample with a non-empty queue (also split: while capture was still loading,
   and draining alone after it stopped). Checks that an EventsQuery count() sees them all.
3. End-to-end latency: while a steady load runs (--rate events/s in 50-event batches), sends
   tagged single events (`bench_tag`, a client uuid each, --tag-rate per second) to /e/ and
   polls an EventsQuery (event = 'bench_tag', select uuid) every 50 ms; a tag's latency is
   from its 200 to the arrival of the first poll answer that contains its uuid (an upper bound;
   the time to that poll's sending is reported too; the resolution is one poll interval plus
   the poll's round trip). >= --samples tags (default 300; --quick 200).
--memory-events M instead ingests M events in bounded chunks (the queue is kept under 1M)
and reports the server's RSS idle right after start, peak, and after ingestion.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import orjson

from common import TOKEN, ApiClient, EventFactory, Server, batch_body, md_table, percentile, report

HEADERS = {"Content-Type": "application/json"}


class Loader(ApiClient):
    """Sends pre-built batch bodies; counts acknowledged events and non-200 answers."""

    def __init__(self, url: str, bodies: list[bytes], batch: int, clients: int) -> None:
        limits = httpx.Limits(max_connections=clients + 40)
        self.client = httpx.AsyncClient(base_url=url, timeout=60, limits=limits)
        super().__init__(url, timeout=60)
        self.bodies, self.batch, self.clients = bodies, batch, clients
        self.acked = self.reserved = self.next = 0
        self.errors: Counter[str] = Counter()

    async def post(self, path: str, body: bytes) -> bool:
        try:
            response = await self.client.post(path, content=body, headers=HEADERS)
        except httpx.HTTPError as exc:
            self.errors[type(exc).__name__] += 1
            await asyncio.sleep(0.5)
            return False
        if response.status_code != 200:
            self.errors[str(response.status_code)] += 1
            await asyncio.sleep(0.5)  # 503 intake_full: back off and retry, like an SDK
            return False
        return True

    async def send(self, events: int) -> None:
        """Send `events` (rounded up to whole batches) with `clients` concurrent senders."""
        target = self.reserved + events

        async def sender() -> None:
            while self.reserved < target:
                self.reserved += self.batch
                self.next += 1
                body = self.bodies[self.next % len(self.bodies)]
                while not await self.post("/batch/", body):  # retried until accepted
                    if sum(self.errors.values()) > 10_000:
                        raise RuntimeError(f"too many failed requests: {dict(self.errors)}")
                self.acked += self.batch

        await asyncio.gather(*(sender() for _ in range(self.clients)))


async def sample_until_drained(
    loader: Loader, loading: asyncio.Task[None], timeout: float, samples: list[dict[str, Any]]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = await loader.status()
        status["t"], status["loading"] = time.monotonic(), not loading.done()
        samples.append(status)
        if loading.done() and status["queued"] == 0:
            return
        await asyncio.sleep(0.25)
    raise TimeoutError(f"ingestion did not drain within {timeout:.0f} s: {samples[-1]}")


def rate(samples: list[dict[str, Any]]) -> float | None:
    busy = [s for s in samples if s["queued"] > 0]
    if len(busy) < 2 or busy[-1]["t"] == busy[0]["t"]:
        return None
    return float((busy[-1]["processed"] - busy[0]["processed"]) / (busy[-1]["t"] - busy[0]["t"]))


async def latency(loader: Loader, args: argparse.Namespace) -> dict[str, Any]:
    acks: dict[str, float] = {}
    seen: dict[str, tuple[float, float]] = {}
    ack_times: list[float] = []
    stop = asyncio.Event()
    steady_acked = 0
    factory = EventFactory(seed=12)
    small = itertools.cycle([batch_body(factory, args.latency_batch) for _ in range(200)])
    poll_times: list[float] = []

    def count(task: asyncio.Task[bool]) -> None:
        nonlocal steady_acked
        steady_acked += args.latency_batch if task.result() else 0

    async def steady() -> None:
        interval = args.latency_batch / args.rate
        next_at = time.monotonic()
        pending: set[asyncio.Task[bool]] = set()
        while not stop.is_set():
            if len(pending) < 32:
                body = next(small)
                task = asyncio.create_task(loader.post("/batch/", body))
                pending.add(task)
                task.add_done_callback(pending.discard)
                task.add_done_callback(count)
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def tag(tag_id: str) -> None:
        body = orjson.dumps(
            {
                "event": "bench_tag",
                "uuid": tag_id,
                "properties": {
                    "token": TOKEN,
                    "distinct_id": "bench-tagger",
                    "$device_id": "bench-tagger",
                },
            }
        )
        sent = time.monotonic()
        if await loader.post("/e/", body):
            acks[tag_id] = time.monotonic()
            ack_times.append(acks[tag_id] - sent)

    async def poll() -> None:
        query = {
            "kind": "EventsQuery",
            "select": ["uuid"],
            "event": "bench_tag",
            "after": "-1d",
            "limit": 10_000,
        }
        while not stop.is_set():
            asked = time.monotonic()
            rows = await loader.query(query)
            answered = time.monotonic()
            poll_times.append(answered - asked)
            for (found,) in rows:
                seen.setdefault(found, (asked, answered))
            await asyncio.sleep(max(0.0, 0.05 - (answered - asked)))

    background = [asyncio.create_task(steady()), asyncio.create_task(poll())]
    await asyncio.sleep(2)  # let the steady load settle
    started = time.monotonic()
    tags: list[asyncio.Task[None]] = []
    for _ in range(args.samples):
        tags.append(asyncio.create_task(tag(str(uuid.uuid4()))))
        await asyncio.sleep(1 / args.tag_rate)
    await asyncio.gather(*tags)
    deadline = time.monotonic() + 60
    while set(acks) - set(seen) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    steady_rate = steady_acked / (time.monotonic() - started + 2)
    stop.set()
    await asyncio.gather(*background)
    upper = [max(0.0, seen[t][1] - acks[t]) for t in acks if t in seen]
    lower = [max(0.0, seen[t][0] - acks[t]) for t in acks if t in seen]
    return {
        "tags_acked": len(acks),
        "tags_seen": len(upper),
        "steady_events_per_s": steady_rate,
        "upper_s": upper,
        "lower_s": lower,
        "ack_s": ack_times,
        "poll_s": poll_times,
    }


def ms(values: list[float], p: float) -> str:
    return f"{percentile(values, p) * 1000:.0f}" if values else "–"


async def run(args: argparse.Namespace, server: Server) -> tuple[list[str], dict[str, Any]]:
    factory = EventFactory(seed=11)
    bodies = [batch_body(factory, args.batch) for _ in range(max(4, 100_000 // args.batch))]
    loader = Loader(server.url, bodies, args.batch, args.clients)
    await asyncio.sleep(3)
    idle = server.memory_mib()
    if args.memory_events:
        return await memory_mode(args, server, loader, idle)
    samples: list[dict[str, Any]] = []
    started = time.monotonic()
    loading = asyncio.create_task(loader.send(args.events))
    await sample_until_drained(loader, loading, args.timeout, samples)
    load_s = max(s["t"] for s in samples if s["loading"]) - started
    loading_end = started + load_s
    total_s = samples[-1]["t"] - started
    stored = (await loader.query({"kind": "EventsQuery", "select": ["count()"]}))[0][0]
    after_load = server.memory_mib()
    overall = rate(samples)
    during = rate([s for s in samples if s["t"] <= loading_end])
    drain = rate([s for s in samples if s["t"] >= loading_end])
    lat = await latency(loader, args)
    final = await loader.status()
    rows = [
        [
            f"{loader.acked:,} events via /batch/ ({args.batch}/body, {args.clients} clients)",
            f"{load_s:.1f}",
            f"{loader.acked / load_s:,.0f}",
            f"{total_s:.1f}",
            *(f"{r:,.0f}" if r is not None else "–" for r in (overall, during, drain)),
            f"{stored:,}",
        ]
    ]
    table = md_table(
        [
            "pre-load",
            "capture s",
            "capture ev/s",
            "until all queryable s",
            "ingestion ev/s (queue non-empty)",
            "… while capture loads",
            "… draining alone",
            "count() stored",
        ],
        rows,
    )
    lat_rows = [
        [name, len(v), ms(v, 50), ms(v, 90), ms(v, 99), ms(v, 100)]
        for name, v in (
            ("200 -> answer of first poll that saw it (upper bound)", lat["upper_s"]),
            ("200 -> sending of that poll", lat["lower_s"]),
            ("tag request -> 200 (ack)", lat["ack_s"]),
            ("poll EventsQuery round trip", lat["poll_s"]),
        )
    ]
    lat_table = md_table(
        ["end-to-end latency", "samples", "p50 ms", "p90 ms", "p99 ms", "max ms"], lat_rows
    )
    notes = [
        f"Latency measured under a steady load of {lat['steady_events_per_s']:,.0f} events/s "
        f"(target {args.rate:,}); tags acknowledged {lat['tags_acked']}, seen "
        f"{lat['tags_seen']}; poll interval 50 ms.",
        f"Server RSS: idle {idle['VmRSS']} MiB, after pre-load {after_load['VmRSS']} MiB, "
        f"peak {server.memory_mib()['VmHWM']} MiB. Non-200/transport errors seen by the "
        f"clients: {dict(loader.errors) or 'none'}. Final status: discarded "
        f"{final['discarded']}, healthy {final['healthy']}, last_error {final['last_error']}.",
        f"Server log error lines: {len(server.log_problems())}",
    ]
    data = {
        "events": loader.acked,
        "batch": args.batch,
        "clients": args.clients,
        "capture_s": load_s,
        "total_s": total_s,
        "rate_overall": overall,
        "rate_during_load": during,
        "rate_drain": drain,
        "stored": stored,
        "samples": samples,
        "latency": lat,
        "idle_mib": idle,
        "after_load_mib": after_load,
        "final": final,
        "client_errors": dict(loader.errors),
        "log_problems": server.log_problems(),
    }
    return [table, lat_table, *notes], data


async def memory_mode(
    args: argparse.Namespace, server: Server, loader: Loader, idle: dict[str, float]
) -> tuple[list[str], dict[str, Any]]:
    started = time.monotonic()
    deadline = started + args.timeout
    peak_rss = idle["VmRSS"]
    while loader.acked < args.memory_events and time.monotonic() < deadline:
        while (await loader.status())["queued"] > 1_000_000 and time.monotonic() < deadline:
            peak_rss = max(peak_rss, server.memory_mib()["VmRSS"])
            await asyncio.sleep(1)
        await loader.send(min(500_000, args.memory_events - loader.acked))
        peak_rss = max(peak_rss, server.memory_mib()["VmRSS"])
    status = await loader.status()
    while status["queued"] > 0 and time.monotonic() < deadline:
        peak_rss = max(peak_rss, server.memory_mib()["VmRSS"])
        await asyncio.sleep(1)
        status = await loader.status()
    elapsed = time.monotonic() - started
    await asyncio.sleep(10)
    after = server.memory_mib()
    stored = (await loader.query({"kind": "EventsQuery", "select": ["count()"]}))[0][0]
    finished = status["queued"] == 0 and loader.acked >= args.memory_events
    rows = [
        [
            f"{loader.acked:,}",
            f"{stored:,}",
            f"{elapsed:.0f}",
            f"{stored / elapsed:,.0f}",
            idle["VmRSS"],
            after["VmRSS"],
            max(peak_rss, after["VmRSS"]),
            after["VmHWM"],
        ]
    ]
    table = md_table(
        [
            "events sent",
            "stored",
            "seconds",
            "events/s end to end",
            "RSS idle MiB",
            "RSS after (10 s idle) MiB",
            "max sampled RSS MiB",
            "VmHWM MiB",
        ],
        rows,
    )
    notes = [
        f"Completed: {finished} (time limit {args.timeout:.0f} s). Client errors: "
        f"{dict(loader.errors) or 'none'}. Server log error lines: "
        f"{len(server.log_problems())}."
    ]
    return [table, *notes], {
        "memory_events": args.memory_events,
        "sent": loader.acked,
        "stored": stored,
        "elapsed_s": elapsed,
        "idle_mib": idle,
        "after_mib": after,
        "peak_sampled_rss_mib": peak_rss,
        "finished": finished,
        "client_errors": dict(loader.errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=None, help="default 1,000,000")
    parser.add_argument("--quick", action="store_true", help="100,000 events, 200 samples")
    parser.add_argument("--batch", type=int, default=500, help="events per pre-load body")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rate", type=int, default=2000, help="steady events/s during latency")
    parser.add_argument("--latency-batch", type=int, default=50)
    parser.add_argument("--samples", type=int, default=None, help="tags, default 300")
    parser.add_argument("--tag-rate", type=float, default=10.0)
    parser.add_argument("--memory-events", type=int, default=0)
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="s per phase (default 1800, 14400 with --memory-events)",
    )
    args = parser.parse_args()
    args.events = args.events or (100_000 if args.quick else 1_000_000)
    args.samples = args.samples or (200 if args.quick else 300)
    args.timeout = args.timeout or (14_400 if args.memory_events else 1800)
    with Server() as server:
        sections, data = asyncio.run(run(args, server))
    title = "Ingestion memory" if args.memory_events else "Ingestion throughput and latency"
    name = "ingestion_memory" if args.memory_events else "ingestion"
    report(name, title, sections, data)


if __name__ == "__main__":
    main()
