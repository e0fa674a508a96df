"""Overload: offer twice the measured capacity for 2 minutes; what is refused, what is kept.

Starts `python -m hedgerow serve` (own temporary data directory, free port, buffer delay 0,
HEDGEROW_INTAKE_MAX_LAG=10 so that capture refuses with 503 once ingestion is 10 s behind;
change or add settings with --server-env NAME=VALUE), measures the capacity for the capture
mix as bench/soak.py does (unless --capacity is given), then offers --factor (2) x capacity
events/s for --seconds (120) at a fixed arrival rate: single events to /e/ and gzip /batch/
bodies in soak.py's mix, no bad requests, --queries-per-s 1 queries beside them. No client
retries: each refused request is counted once. A request still waiting for one of the
--connections (256) 10 s after its time is not sent ("skipped"). Sampled every --window
(5 s): RSS of the server's process tree, latencies, ingestion lag, status counts.

Reported: the share of capture requests (and events) accepted, answered 503 (by error code:
`intake_full`, `ingestion_lagging`, ...), other statuses and no answer; the server's peak RSS;
then, after the backlog drains, that every accepted event is stored exactly once and no
refused one (count, distinct uuids and sequence numbers per block of 10,000, through HogQL).
Writes <out>/overload.{md,json} and overload.png (default bench/results/).

How to run: `python bench/overload.py` (about 4 minutes with the capacity phase and the
drain); a short check: `python bench/overload.py --seconds 30`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from collections import Counter
from typing import Any

from common import (
    ApiClient,
    Server,
    md_table,
    own_cpu_seconds,
    report,
    server_env,
    tree_cpu_seconds,
)
from loadgen import Driver, Recorder, Traffic
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


def shares(recorder: Recorder, events_per: dict[str, int]) -> list[list[Any]]:
    """Capture requests and events by answer: accepted, 503 by code, other, no answer, and
    not sent (the client had no free connection within 10 s)."""
    requests: Counter[str] = Counter()
    events: Counter[str] = Counter()
    for kind, n in recorder.skipped.items():
        if kind in events_per:
            requests["not sent (no free connection in 10 s)"] += n
            events["not sent (no free connection in 10 s)"] += n * events_per[kind]
    outcomes = recorder.outcomes
    for (kind, status, code), n in outcomes.items():
        if kind not in events_per:
            continue
        if status == 200:
            label = "accepted (200)"
        elif status == 503:
            label = f"503 {code}"
        elif status == 0:
            label = "no answer"
        else:
            label = f"{status} {code}"
        requests[label] += n
        events[label] += n * events_per[kind]
    total_r, total_e = sum(requests.values()) or 1, sum(events.values()) or 1
    return [
        [
            label,
            f"{n:,}",
            f"{n / total_r:.1%}",
            f"{events[label]:,}",
            f"{events[label] / total_e:.1%}",
        ]
        for label, n in requests.most_common()
    ]


async def overload(args: argparse.Namespace, server: Server) -> tuple[list[str], dict[str, Any]]:
    api = ApiClient(server.url, timeout=60)
    await asyncio.sleep(3)
    idle_mib = server.memory_mib()
    mix = mix_from(args, bad_share=0.0)
    capacity = await capacity_of(server, args, mix)
    rate = capacity["capacity_events_per_s"] * args.factor
    run_id = str(uuid.uuid4())
    driver = Driver(server.port, Traffic(run_id), mix, args.connections)
    sampler = Sampler(server, driver.recorder, args.window)
    stop = asyncio.Event()
    sampling = asyncio.create_task(sampler.run(stop))
    cpu = (own_cpu_seconds(), tree_cpu_seconds(server.pid))
    print(f"overload: {rate:,.0f} events/s for {args.seconds:.0f} s", flush=True)
    started = time.monotonic()
    await driver.open_loop(rate, args.seconds, kinds=("single", "batch", "query"))
    span = time.monotonic() - started  # the offer, and the wait for the last answers
    client_cores = (own_cpu_seconds() - cpu[0]) / span
    server_cores = (tree_cpu_seconds(server.pid) - cpu[1]) / span
    stop.set()
    await sampling
    at_end = await api.status()
    drained, drain_s, final = await wait_drained(api, args.drain_timeout)
    check = await verify(api, run_id, driver.recorder.accepted, driver.recorder.unknown)
    driver.close()
    hwm = server.memory_mib()["VmHWM"]

    args.out.mkdir(parents=True, exist_ok=True)
    png = args.out / "overload.png"
    title = f"Overload: {rate:,.0f} events/s offered ({args.factor:g}x capacity), {span:.0f} s"
    plot(sampler.samples, png, title, lag_target=None)
    recorder = driver.recorder
    share_table = md_table(
        ["capture answer", "requests", "share", "events", "share of events"],
        shares(recorder, {"single": 1, "batch": mix.batch_size}),
    )
    accepted_rate = check["accepted"] / span
    lags = sampler.lags
    notes = [
        capacity_md(capacity, rate, args.factor),
        f"Server settings: {server_env(args.server_env) or 'defaults'}. Offered for "
        f"{args.seconds:.0f} s; the last answer came {span:.0f} s after the start. Accepted "
        f"{check['accepted']:,} events: {accepted_rate:,.0f} events/s over those {span:.0f} s, "
        f"{accepted_rate / rate:.0%} of the offer. 'Not sent': all {args.connections} "
        "connections were still waiting for answers 10 s after the request's time.",
        f"Memory: server RSS idle {idle_mib['VmRSS']} MiB; peak of the process tree "
        f"{sampler.peak_rss_mib:,.0f} MiB (sampled each second; the main process's VmHWM "
        f"{hwm:,.0f} MiB). Ingestion lag at most {max(lags, default=0):.1f} s; backlog at the "
        f"end of the load {at_end['queued']:,} events, drained {drained} in {drain_s:.1f} s.",
        f"Stored == accepted: {check['ok']} ({check['accepted']:,} accepted, "
        f"{check['stored']:,} stored, {check['stored_distinct']:,} distinct uuids, "
        f"{check['blocks_mismatched']} of {check['blocks']} blocks differ; "
        f"{check['unanswered']:,} events sent without an answer, in "
        f"{check['blocks_with_unanswered_events']} blocks).",
        f"CPU during the load: load generator {client_cores:.2f} cores, server "
        f"{server_cores:.2f} cores. Server log error lines: {len(server.log_problems())}.",
        f"Plot: {png}",
    ]
    data = {
        "offered_events_per_s": rate,
        "seconds": span,
        "capacity": capacity,
        "server_env": server_env(args.server_env),
        "peak_rss_mib": sampler.peak_rss_mib,
        "vmhwm_mib": hwm,
        "verify": check,
        "skipped": dict(recorder.skipped),
        "client_cpu_cores": client_cores,
        "server_cpu_cores": server_cores,
        "queued_at_end": at_end["queued"],
        "drain_s": drain_s,
        "outcomes": [[*k, n] for k, n in recorder.outcomes.items()],
        "final_status": final,
        "log_problems": server.log_problems(),
        "samples": sampler.samples,
    }
    table = md_table(["request", "status", "code", "count"], outcome_rows(recorder))
    return [share_table, *notes, table], data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--factor", type=float, default=2.0, help="offer x capacity")
    parser.add_argument("--window", type=float, default=5, help="seconds per sample")
    parser.add_argument("--drain-timeout", type=float, default=900)
    add_load_arguments(parser, queries_per_s=1.0)
    args = parser.parse_args()
    env = {"HEDGEROW_INTAKE_MAX_LAG": "10", **server_env(args.server_env)}
    args.server_env = [f"{k}={v}" for k, v in env.items()]
    with Server(**env) as server:
        sections, data = asyncio.run(overload(args, server))
    report("overload", "Overload: twice the capacity", sections, data, out=args.out)


if __name__ == "__main__":
    main()
