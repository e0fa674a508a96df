"""What bench/soak.py and bench/overload.py measure around their load: the capacity phase,
the sampler (server memory and CPU, latencies, ingestion lag and status counts per window),
the stored == accepted check through the query API, and the PNG plot."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from common import (
    RESULTS,
    ApiClient,
    Server,
    own_cpu_seconds,
    percentile,
    tree_cpu_seconds,
    tree_rss_kib,
)
from loadgen import BLOCK, Blocks, Driver, Mix, Recorder, Traffic

CLASSES = ["2xx", "4xx", "503", "5xx", "conn_error", "skipped"]  # skipped: never sent


def pct(values: list[float], p: float) -> float | None:
    return round(percentile(values, p), 1) if values else None


class Sampler:
    """Polls the server every `poll` s (ingestion status, RSS of the server's process tree)
    and closes a window every `window` s into one sample."""

    def __init__(self, server: Server, recorder: Recorder, window: float, poll: float = 1.0):
        self.server, self.recorder = server, recorder
        self.window, self.poll = window, poll
        self.api = ApiClient(server.url, timeout=30)
        self.samples: list[dict[str, Any]] = []
        self.lags: list[float] = []  # every poll's lag_seconds
        self.peak_rss_mib = 0.0
        self.status_errors = 0
        self.status: dict[str, Any] = {}  # the last answer of GET .../ingestion/
        self.window_lags: list[float] = []  # lag_seconds of this window's polls

    async def _poll_status(self, stop: asyncio.Event) -> None:
        """The ingestion status every `poll` s, in a task of its own: a slow answer (a busy
        server) delays the next poll, not the windows."""
        while not stop.is_set():
            try:
                self.status = await self.api.status()
                self.window_lags.append(float(self.status.get("lag_seconds", 0.0)))
            except Exception:  # the server is too busy to answer in 30 s: say so, go on
                self.status_errors += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.poll)

    async def run(self, stop: asyncio.Event) -> None:
        started = last = time.monotonic()
        cpu = (own_cpu_seconds(), tree_cpu_seconds(self.server.pid))
        polling = asyncio.create_task(self._poll_status(stop))
        rss: list[float] = []
        tick = 0
        while not stop.is_set():
            tick += 1
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    stop.wait(), max(0, started + tick * self.poll - time.monotonic())
                )
            rss.append(tree_rss_kib(self.server.pid) / 1024)
            self.peak_rss_mib = max(self.peak_rss_mib, rss[-1])
            now = time.monotonic()
            if now - last < self.window - self.poll / 2 and not stop.is_set():
                continue
            if stop.is_set() and now - last < self.window * 0.9:
                break  # the load ended in this window: a partial sample would mislead
            lags, self.window_lags = self.window_lags, []
            status = self.status
            window, span = self.recorder.take_window(), now - last
            new_cpu = (own_cpu_seconds(), tree_cpu_seconds(self.server.pid))
            self.samples.append(
                {
                    "t_s": round(now - started, 1),
                    "rss_mib": round(rss[-1], 1),
                    "rss_peak_mib": round(max(rss), 1),
                    "capture_requests": len(window.capture_ms),
                    "capture_p50_ms": pct(window.capture_ms, 50),
                    "capture_p99_ms": pct(window.capture_ms, 99),
                    "queries": len(window.query_ms),
                    "query_p99_ms": pct(window.query_ms, 99),
                    "query_max_ms_by_kind": {
                        k: round(max(v), 1) for k, v in sorted(window.query_ms_by_kind.items())
                    },
                    "status_polls": len(lags),
                    "lag_max_s": max(lags) if lags else None,
                    "lag_last_s": lags[-1] if lags else None,
                    "queued": status.get("queued"),
                    "processed": status.get("processed"),
                    "accepted_events_per_s": round(window.accepted_events / span),
                    "refused_events_per_s": round(window.refused_events / span),
                    "classes": {c: window.classes.get(c, 0) for c in CLASSES},
                    "schedule_late_p99_ms": pct([s * 1000 for s in window.late_s], 99),
                    "client_cpu_cores": round((new_cpu[0] - cpu[0]) / span, 2),
                    "server_cpu_cores": round((new_cpu[1] - cpu[1]) / span, 2),
                }
            )
            self.lags += lags
            last, cpu, rss = now, new_cpu, []
        polling.cancel()  # it may be waiting for a slow status answer
        with contextlib.suppress(asyncio.CancelledError):
            await polling


async def wait_drained(api: ApiClient, timeout: float) -> tuple[bool, float, dict[str, Any]]:
    """Poll until the intake log is empty: (drained, seconds waited, last status)."""
    started = time.monotonic()
    status = await api.status()
    while status["queued"] > 0 and time.monotonic() - started < timeout:
        await asyncio.sleep(0.5)
        status = await api.status()
    return status["queued"] == 0, time.monotonic() - started, status


async def hogql(api: ApiClient, sql: str, attempts: int = 6) -> list[Any]:
    """One HogQL query; a `query_timeout` (the server's 30 s limit, which a count over
    millions of events just after a soak, while the store still merges, can reach) is tried
    again after a pause, up to `attempts` times, before it fails."""
    for attempt in range(1, attempts + 1):
        try:
            return await api.query({"kind": "HogQLQuery", "query": sql})
        except httpx.HTTPStatusError as error:
            timed_out = error.response.status_code == 400 and "query_timeout" in error.response.text
            if not timed_out or attempt == attempts:
                raise
            print(f"verify: query timed out (attempt {attempt}), trying again in 20 s", flush=True)
            await asyncio.sleep(20)
    raise AssertionError("unreachable")


async def verify(api: ApiClient, run_id: str, accepted: Blocks, unknown: Blocks) -> dict[str, Any]:
    """Compare the events stored for `run_id` with the accepted ones, block by block of
    10,000 sequence numbers: count, distinct uuids, sum and sum of squares of the offsets.
    Equal in every block: every accepted event is stored once, and nothing else is."""
    seq = "toInt64(properties.bench_seq)"
    offset = f"({seq} % {BLOCK})"
    stored: dict[int, list[int]] = {}
    page = 0
    while True:
        rows = await hogql(
            api,
            f"SELECT intDiv({seq}, {BLOCK}) AS block, count(), uniqExact(uuid), sum({offset}), "
            f"sum({offset} * {offset}) FROM events WHERE properties.bench_run = '{run_id}' "
            f"GROUP BY block ORDER BY block LIMIT 10000 OFFSET {page * 10000}",
        )
        for block, count, distinct, s1, s2 in rows:
            stored[int(block)] = [int(count), int(distinct), int(s1), int(s2)]
        if len(rows) < 10000:
            break
        page += 1
    bad = await hogql(
        api, f"SELECT count() FROM events WHERE properties.bench_run = '{run_id}-bad'"
    )
    mismatched, explained = [], 0
    for block in sorted(set(stored) | set(accepted.blocks)):
        want = accepted.blocks.get(block, [0, 0, 0])
        got = stored.get(block, [0, 0, 0, 0])
        if got[0] == got[1] == want[0] and got[2:] == want[1:]:
            continue
        maybe = unknown.blocks.get(block, [0, 0, 0])[0]
        if got[0] == got[1] and want[0] <= got[0] <= want[0] + maybe:
            explained += 1  # the difference is among events sent without an answer
            continue
        mismatched.append({"block": block, "accepted": want, "stored": got})
    total = sum(v[0] for v in stored.values())
    bad_stored = int(bad[0][0]) if bad else 0
    return {
        "accepted": accepted.total(),
        "stored": total,
        "stored_distinct": sum(v[1] for v in stored.values()),
        "unanswered": unknown.total(),
        "blocks": len(stored),
        "blocks_mismatched": len(mismatched),
        "blocks_with_unanswered_events": explained,
        "first_mismatches": mismatched[:5],
        "bad_events_stored": bad_stored,
        "ok": not mismatched and bad_stored == 0,
    }


async def measure_capacity(
    server: Server, mix: Mix, seconds: float, clients: int
) -> dict[str, Any]:
    """Offer the capture mix as fast as `clients` senders can for `seconds`: accepted and
    ingested events/s. Capacity = the smaller (capture may accept faster than ingestion
    stores: then the backlog grows, and only what is stored can be sustained)."""
    api = ApiClient(server.url, timeout=60)
    run_id = str(uuid.uuid4())
    driver = Driver(server.port, Traffic(run_id), mix)
    before, cpu = await api.status(), (own_cpu_seconds(), tree_cpu_seconds(server.pid))
    started = time.monotonic()
    await driver.closed_loop(seconds, clients)
    span = time.monotonic() - started
    after = await api.status()
    cpu_used = (own_cpu_seconds() - cpu[0], tree_cpu_seconds(server.pid) - cpu[1])
    accepted = driver.recorder.accepted.total() / span
    ingested = (after["processed"] - before["processed"]) / span
    drained, drain_s, _ = await wait_drained(api, 600)
    check = await verify(api, run_id, driver.recorder.accepted, driver.recorder.unknown)
    driver.close()
    outcomes = Counter(
        {f"{k} {s} {c}".strip(): n for (k, s, c), n in driver.recorder.outcomes.items()}
    )
    return {
        "seconds": round(span, 1),
        "clients": clients,
        "accepted_events_per_s": round(accepted),
        "ingested_events_per_s": round(ingested),
        "capacity_events_per_s": round(min(accepted, ingested)),
        "queued_at_end": after["queued"],
        "drain_s": round(drain_s, 1),
        "drained": drained,
        "client_cpu_cores": round(cpu_used[0] / span, 2),
        "server_cpu_cores": round(cpu_used[1] / span, 2),
        "outcomes": dict(outcomes.most_common()),
        "verify": check,
    }


def outcome_rows(recorder: Recorder) -> list[list[Any]]:
    """Requests by kind, status and error code."""
    return [
        [kind, status or "no answer", code or "", f"{n:,}"]
        for (kind, status, code), n in sorted(recorder.outcomes.items())
    ]


def plot(samples: list[dict[str, Any]], path: Path, title: str, lag_target: float | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    minutes = [s["t_s"] / 60 for s in samples]
    fig, axes = plt.subplots(4, 1, figsize=(10, 11), sharex=True)
    fig.suptitle(title)
    ax = axes[0]
    ax.plot(minutes, [s["rss_mib"] for s in samples], label="RSS (end of window)")
    ax.plot(minutes, [s["rss_peak_mib"] for s in samples], ":", label="RSS peak in window")
    ax.set_ylabel("server MiB")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower right")
    ax = axes[1]
    for key, label in (
        ("capture_p50_ms", "capture p50"),
        ("capture_p99_ms", "capture p99"),
        ("query_p99_ms", "query p99"),
    ):
        points = [(m, s[key]) for m, s in zip(minutes, samples, strict=True) if s[key] is not None]
        ax.plot([m for m, _ in points], [v for _, v in points], label=label)
    ax.set_yscale("log")
    ax.set_ylabel("latency ms")
    ax.legend(loc="upper left")
    ax = axes[2]
    ax.plot(minutes, [s["lag_max_s"] or 0 for s in samples], label="ingestion lag (max)")
    if lag_target is not None:
        ax.axhline(lag_target, color="red", linestyle="--", label=f"target {lag_target:g} s")
    ax.set_ylabel("lag s")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    twin = ax.twinx()
    twin.plot(minutes, [s["queued"] or 0 for s in samples], color="gray", alpha=0.6)
    twin.set_ylabel("queued events", color="gray")
    ax = axes[3]
    for name in CLASSES[1:]:
        ax.plot(minutes, [s["classes"][name] for s in samples], label=name)
    ax.set_ylabel("non-2xx answers / window")
    ax.set_ylim(bottom=0)
    ax.set_xlabel("minutes")
    ax.legend(loc="best", ncol=5)
    twin = ax.twinx()
    twin.plot(minutes, [s["accepted_events_per_s"] for s in samples], "k--", alpha=0.5)
    twin.set_ylabel("accepted events/s (dashed)")
    twin.set_ylim(bottom=0)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def add_load_arguments(parser: argparse.ArgumentParser, queries_per_s: float) -> None:
    """The options soak.py and overload.py share: capacity, mix, connections, server, output."""
    parser.add_argument(
        "--capacity", type=float, default=0, help="events/s; default: measured first"
    )
    parser.add_argument("--capacity-seconds", type=float, default=30)
    parser.add_argument("--capacity-clients", type=int, default=64)
    parser.add_argument("--single-share", type=float, default=0.1, help="of events, to /e/")
    parser.add_argument("--batch", type=int, default=50, help="events per gzip /batch/")
    parser.add_argument("--queries-per-s", type=float, default=queries_per_s)
    parser.add_argument("--connections", type=int, default=256, help="most open at once")
    parser.add_argument(
        "--server-env", action="append", default=[], help="NAME=VALUE for the server, repeatable"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where JSON, md, PNG go")


def mix_from(args: argparse.Namespace, bad_share: float) -> Mix:
    return Mix(
        single_share=args.single_share,
        batch_size=args.batch,
        bad_share=bad_share,
        queries_per_s=args.queries_per_s,
    )


async def capacity_of(server: Server, args: argparse.Namespace, mix: Mix) -> dict[str, Any]:
    if args.capacity:
        return {"capacity_events_per_s": args.capacity, "given": True}
    print(f"measuring capacity for {args.capacity_seconds:.0f} s ...", flush=True)
    result = await measure_capacity(server, mix, args.capacity_seconds, args.capacity_clients)
    print(f"capacity: {result}", flush=True)
    return result


def capacity_md(capacity: dict[str, Any], rate: float, factor: float) -> str:
    if capacity.get("given"):
        return (
            f"Capacity given: {capacity['capacity_events_per_s']:,.0f} events/s; offered "
            f"{rate:,.0f} events/s ({factor:g}x)."
        )
    check = capacity["verify"]
    return (
        f"Capacity, measured first ({capacity['seconds']:.0f} s, {capacity['clients']} "
        f"closed-loop senders of the same capture mix, queries beside them): "
        f"{capacity['accepted_events_per_s']:,} events/s accepted, "
        f"{capacity['ingested_events_per_s']:,} events/s ingested (queue "
        f"{capacity['queued_at_end']:,} at the end, drained in {capacity['drain_s']} s; stored "
        f"== accepted: {check['ok']}); capacity = the smaller = "
        f"{capacity['capacity_events_per_s']:,} events/s. Load generator "
        f"{capacity['client_cpu_cores']} cores, server {capacity['server_cpu_cores']} cores. "
        f"Offered: {rate:,.0f} events/s ({factor:g}x capacity)."
    )
