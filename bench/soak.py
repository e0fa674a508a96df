"""Soak: mixed capture and queries at half of the measured capacity for 30 minutes.

Starts `python -m hedgerow serve` (own temporary data directory, free port, buffer delay 0),
then measures its capacity for this mix (unless --capacity is given): --capacity-seconds of
closed-loop senders, capacity = the smaller of events/s accepted and events/s ingested
(capture can accept faster than ingestion stores). Then offers --load (0.5) x capacity, or
--rate events/s, for --minutes (30) at a fixed arrival rate (open loop: each request leaves
at its time whatever the server does; latency counts from that time):
  - single events to /e/ (posthog-js-like), --single-share 10% of the events;
  - gzip /batch/ bodies of --batch 50 events (posthog-python-like), the other events;
  - 5% of capture requests bad, in turn: bad JSON, no distinct_id, unknown token, a body
    just over the 2 MiB limit (on its own connection);
  - --queries-per-s 2 queries over the last 10 minutes: TrendsQuery, EventsQuery, HogQL, a
    funnel.
Every event carries the run id and a unique uuid. Every --window (10 s): RSS of the server's
process tree (/proc), capture p50/p99 and query p99 latency, ingestion lag (the oldest
waiting intake event's age, from GET /api/projects/1/ingestion/, polled every second), status
counts, and the CPU taken by the load generator and by the server. After the load: wait for
the backlog to drain and compare stored with accepted (count, distinct uuids and sequence
numbers per block of 10,000, through HogQL); bad requests' events must not be stored.
Verdict against the targets: memory growth after --first-window minutes (5) at most 10% (the
median of each later 5-minute block against the median of the window's last minute; peaks
are reported beside it), no 5xx, ingestion
lag p99 under 2 s. Writes <out>/soak.{md,json} and soak.png (default bench/results/).

How to run: `python bench/soak.py` (about 32 minutes); a short check:
`python bench/soak.py --minutes 3 --first-window 1`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from typing import Any

from common import (
    ApiClient,
    Server,
    md_table,
    median,
    own_cpu_seconds,
    percentile,
    report,
    server_env,
    tree_cpu_seconds,
)
from loadgen import Driver, Traffic
from sampling import (
    Sampler,
    add_load_arguments,
    capacity_md,
    capacity_of,
    mix_from,
    outcome_rows,
    plot,
    verify,
    wait_drained,
)


def memory_verdict(samples: list[dict[str, Any]], first_s: float) -> dict[str, Any]:
    """Growth after the first window, like against like: the median of every later 5-minute
    block against the median of the first window's last minute (the verdict), and the later
    samples' peak against that minute's peak. The process's memory swings by 10-20% within
    a minute as queries come and go, so a later peak against a median (reported too, as
    `peak_growth`) measures that swing as much as any growth."""
    base = [s["rss_mib"] for s in samples if first_s - 60 < s["t_s"] <= first_s + 1]
    later = [s for s in samples if s["t_s"] > first_s + 1]
    if not base or not later:
        return {"baseline_mib": None, "ok": None}
    end_t = samples[-1]["t_s"]
    last = [s["rss_mib"] for s in samples if s["t_s"] > end_t - 60]
    baseline = median(base)
    blocks: dict[int, list[float]] = {}
    for sample in later:
        blocks.setdefault(int((sample["t_s"] - first_s - 1) // 300), []).append(sample["rss_mib"])
    block_medians = [round(median(values), 1) for _, values in sorted(blocks.items())]
    block_growth = max(block_medians) / baseline - 1
    later_peak = max(s["rss_mib"] for s in later)
    return {
        "baseline_mib": round(baseline, 1),
        "baseline_peak_mib": max(base),
        "block_medians_mib": block_medians,
        "block_growth": round(block_growth, 4),
        "later_peak_mib": later_peak,
        "peak_to_peak_growth": round(later_peak / max(base) - 1, 4),
        "last_minute_median_mib": round(median(last), 1),
        "peak_growth": round(later_peak / baseline - 1, 4),
        "end_growth": round(median(last) / baseline - 1, 4),
        "ok": block_growth <= 0.10,
    }


async def soak(args: argparse.Namespace, server: Server) -> tuple[list[str], dict[str, Any]]:
    api = ApiClient(server.url, timeout=60)
    await asyncio.sleep(3)
    idle_mib = server.memory_mib()
    mix = mix_from(args, bad_share=0.05)
    capacity = await capacity_of(server, args, mix)
    rate = args.rate or capacity["capacity_events_per_s"] * args.load
    run_id = str(uuid.uuid4())
    driver = Driver(server.port, Traffic(run_id), mix, args.connections)
    sampler = Sampler(server, driver.recorder, args.window)
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop))
    cpu = (own_cpu_seconds(), tree_cpu_seconds(server.pid))
    print(f"soak: {rate:,.0f} events/s for {args.minutes} min ({mix})", flush=True)
    started = time.monotonic()
    await driver.open_loop(rate, args.minutes * 60)
    span = time.monotonic() - started
    client_cores = (own_cpu_seconds() - cpu[0]) / span
    server_cores = (tree_cpu_seconds(server.pid) - cpu[1]) / span
    stop.set()
    await sampling
    # The samples first, so that a failure while checking the stored events keeps them.
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "soak-samples.json").write_text(
        json.dumps({"offered_events_per_s": rate, "capacity": capacity, "samples": sampler.samples})
    )
    drained, drain_s, final = await wait_drained(api, 600)
    check = await verify(api, run_id, driver.recorder.accepted, driver.recorder.unknown)
    driver.close()

    samples = sampler.samples
    memory = memory_verdict(samples, args.first_window * 60)
    outcomes = driver.recorder.outcomes
    server_errors = sum(n for (_, status, _), n in outcomes.items() if 500 <= status < 600)
    no_answer = sum(n for (_, status, _), n in outcomes.items() if status == 0)
    lag_p99 = percentile(sampler.lags, 99) if sampler.lags else None
    lag_ok = lag_p99 is not None and lag_p99 < args.lag_target
    capture_p99 = [s["capture_p99_ms"] for s in samples if s["capture_p99_ms"] is not None]
    query_p99 = [s["query_p99_ms"] for s in samples if s["query_p99_ms"] is not None]
    args.out.mkdir(parents=True, exist_ok=True)
    png = args.out / "soak.png"
    plot(
        samples,
        png,
        f"Soak: {rate:,.0f} events/s offered ({args.load:g}x capacity) for {args.minutes:g} min",
        args.lag_target,
    )
    verdict = md_table(
        ["target", "measured", "met"],
        [
            [
                f"memory growth after minute {args.first_window:g} <= 10%",
                f"5-minute medians {memory.get('block_growth', 0) * 100:+.1f}% at most "
                f"({memory.get('baseline_mib')} MiB in minute {args.first_window:g} -> "
                f"{memory.get('block_medians_mib')}); peak to peak "
                f"{memory.get('peak_to_peak_growth', 0) * 100:+.1f}%; later peak against "
                f"the median {memory.get('peak_growth', 0) * 100:+.1f}% "
                f"({memory.get('later_peak_mib')} MiB); last minute "
                f"{memory.get('end_growth', 0) * 100:+.1f}%",
                memory["ok"],
            ],
            ["no 5xx", f"{server_errors} 5xx, {no_answer} without an answer", server_errors == 0],
            [
                f"ingestion lag p99 < {args.lag_target:g} s",
                f"p99 {lag_p99} s, max {max(sampler.lags, default=None)} s "
                f"({len(sampler.lags)} polls, 1/s)",
                lag_ok,
            ],
            [
                "every accepted event stored once, no bad one",
                f"{check['accepted']:,} accepted, {check['stored']:,} stored "
                f"({check['stored_distinct']:,} distinct), {check['bad_events_stored']} bad "
                f"stored, {check['blocks_mismatched']} blocks differ",
                check["ok"],
            ],
        ],
    )
    outcome_table = md_table(["request", "status", "code", "count"], outcome_rows(driver.recorder))
    skipped = sum(driver.recorder.skipped.values())
    notes = [
        capacity_md(capacity, rate, args.load),
        f"Mix: {mix.single_share:.0%} of events as single /e/ requests, the rest in gzip "
        f"/batch/ of {mix.batch_size}; {mix.bad_share:.0%} of capture requests bad; "
        f"{mix.queries_per_s:g} queries/s. Requests per s: "
        + ", ".join(f"{k} {v:,.1f}" for k, v in mix.request_rates(rate).items())
        + ".",
        "Latency over the windows: capture p99 median "
        f"{median(capture_p99) if capture_p99 else '-'} ms, worst "
        f"{max(capture_p99, default='-')} ms; query p99 median "
        f"{median(query_p99) if query_p99 else '-'} ms, worst {max(query_p99, default='-')} ms.",
        f"Server RSS idle {idle_mib['VmRSS']} MiB; peak of the process tree during the soak "
        f"{sampler.peak_rss_mib:.0f} MiB. CPU during the load: load generator "
        f"{client_cores:.2f} cores, server {server_cores:.2f} cores (2 cores in all). "
        f"Requests skipped (no free connection within 10 s): {skipped}. Status polls that "
        f"failed: {sampler.status_errors}.",
        f"After the load: drained {drained} in {drain_s:.1f} s; discarded {final['discarded']}; "
        f"healthy {final['healthy']}. Server log error lines: {len(server.log_problems())}.",
        f"Plot: {png}",
    ]
    data = {
        "offered_events_per_s": rate,
        "minutes": args.minutes,
        "capacity": capacity,
        "mix": vars(mix),
        "memory": memory,
        "server_errors": server_errors,
        "no_answer": no_answer,
        "lag_p99_s": lag_p99,
        "verify": check,
        "client_cpu_cores": client_cores,
        "server_cpu_cores": server_cores,
        "skipped": skipped,
        "outcomes": [[*list(k), n] for k, n in outcomes.items()],
        "final_status": final,
        "log_problems": server.log_problems(),
        "slow_queries": [
            line for line in server.log_tail(10_000_000).splitlines() if "slow query" in line
        ][:200],
        "samples": samples,
    }
    return [verdict, *notes, outcome_table], data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--first-window", type=float, default=5, help="minutes before growth")
    parser.add_argument("--load", type=float, default=0.5, help="share of capacity offered")
    parser.add_argument("--rate", type=float, default=0, help="events/s (overrides --load)")
    parser.add_argument("--window", type=float, default=10, help="seconds per sample")
    parser.add_argument("--lag-target", type=float, default=2.0, help="seconds")
    add_load_arguments(parser, queries_per_s=2.0)
    args = parser.parse_args()
    with Server(**server_env(args.server_env)) as server:
        sections, data = asyncio.run(soak(args, server))
    report("soak", "Soak: mixed capture and queries", sections, data, out=args.out)


if __name__ == "__main__":
    main()
