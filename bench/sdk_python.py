"""hedgerow-client: what one `capture()` costs the caller, and how fast events reach a server.

Starts the real server (`python -m hedgerow serve`, own temporary data directory, buffer
off), then:

  call cost   Each `capture()` timed alone with perf_counter_ns (timer overhead, measured
              and reported, is not subtracted), with the background thread sending to the
              server at the same time. Calls come in bursts of 1,000 with a 20 ms pause, so
              the queue never fills (a full queue would make calls cheaper by dropping).
              Two events: the guide's `Order created` (3 properties + a `source` super
              property) and a wider one (20 properties, nested values). For comparison,
              posthog-python's `capture()` on the same events and server, measured the same way.
  delivery    --events events (default 200,000) captured as fast as possible by one client
              with a queue big enough to hold them all, from the first call until `flush()`
              returns, i.e. until the server acknowledged everything (durable in its intake
              log). gzip on and off. Reported as events per second.

Each measurement runs --runs times (default 3); the median run is reported with all runs.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

from posthog import Posthog

from common import TOKEN, Server, md_table, percentile, report
from hedgerow_client import Client

ORDER = {"orderId": "ord_8Hd2k", "subtotal": 129.95, "customerName": "Ada Lovelace"}
WIDE: dict[str, Any] = {
    **ORDER,
    "currency": "EUR",
    "items": [{"sku": "A-1", "qty": 2, "price": 19.99}, {"sku": "B-7", "qty": 1, "price": 90}],
    "coupon": None,
    "first_order": True,
    "shipping": {"method": "express", "country": "NL", "days": 2},
    "channel": "web",
    "payment": "card",
    "tax": 22.55,
    "discount": 0,
    "warehouse": "ams-2",
    "weight_kg": 3.4,
    "gift": False,
    "notes": "Leave at the door, please 🦔",
    "campaign": "spring-sale",
    "tags": ["priority", "fragile"],
    "customer_tier": "gold",
}

BURST = 1000
PAUSE = 0.02


def timer_overhead() -> float:
    samples = []
    for _ in range(100_000):
        start = time.perf_counter_ns()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def call_costs(capture: Callable[[int], object], calls: int) -> list[float]:
    """Microseconds per call, each call timed on its own."""
    costs: list[float] = []
    gc.collect()
    for burst in range(calls // BURST):
        for index in range(burst * BURST, (burst + 1) * BURST):
            start = time.perf_counter_ns()
            capture(index)
            costs.append((time.perf_counter_ns() - start) / 1000)
        time.sleep(PAUSE)
    return costs


def hedgerow_capture(client: Client, properties: dict[str, Any]) -> Callable[[int], object]:
    def capture(index: int) -> object:
        return client.capture(
            "Order created", distinct_id=f"user_{index % 500}", properties=properties
        )

    return capture


def posthog_capture(client: Posthog, properties: dict[str, Any]) -> Callable[[int], object]:
    def capture(index: int) -> object:
        return client.capture(
            "Order created",
            distinct_id=f"user_{index % 500}",
            properties={**properties, "source": "backend"},
        )

    return capture


def measure_calls(server: Server, calls: int, runs: int) -> tuple[list[list[Any]], dict[str, Any]]:
    rows, data = [], {}
    for sdk in ("hedgerow-client", "posthog-python"):
        for label, properties in (("Order created, 3 properties", ORDER), ("20 properties", WIDE)):
            results = []
            for _ in range(runs):
                if sdk == "hedgerow-client":
                    client: Any = Client(
                        TOKEN,
                        host=server.url,
                        super_properties={"source": "backend"},
                        max_queue_size=calls,
                    )
                    capture = hedgerow_capture(client, properties)
                else:
                    client = Posthog(
                        TOKEN,
                        host=server.url,
                        enable_local_evaluation=False,
                        max_queue_size=calls,
                    )
                    capture = posthog_capture(client, properties)
                costs = call_costs(capture, calls)
                client.flush()
                if sdk == "hedgerow-client":
                    assert client.stats.dropped == 0, client.stats
                client.shutdown()
                results.append(
                    {
                        "median_us": round(statistics.median(costs), 2),
                        "p90_us": round(percentile(costs, 90), 2),
                        "p99_us": round(percentile(costs, 99), 2),
                    }
                )
            results.sort(key=lambda r: r["median_us"])
            middle = results[len(results) // 2]
            runs_text = " / ".join(f"{r['median_us']}" for r in results)
            rows.append(
                [sdk, label, middle["median_us"], middle["p90_us"], middle["p99_us"], runs_text]
            )
            data[f"{sdk} {label}"] = results
            print(rows[-1], flush=True)
    return rows, data


def measure_delivery(
    server: Server, events: int, runs: int
) -> tuple[list[list[Any]], dict[str, Any]]:
    rows, data = [], {}
    for gzip in (True, False):
        rates = []
        for _ in range(runs):
            client = Client(
                TOKEN,
                host=server.url,
                super_properties={"source": "backend"},
                max_queue_size=events,
                gzip=gzip,
            )
            started = time.perf_counter()
            for index in range(events):
                client.capture("Order created", distinct_id=f"user_{index % 500}", properties=ORDER)
            captured = time.perf_counter() - started
            assert client.flush(600), "flush timed out"
            elapsed = time.perf_counter() - started
            stats = client.stats
            client.shutdown()
            assert stats.sent == events and stats.dropped == 0 and stats.failed == 0, stats
            rates.append(
                {
                    "events_per_s": round(events / elapsed),
                    "capture_loop_s": round(captured, 2),
                    "until_acknowledged_s": round(elapsed, 2),
                    "batches": stats.batches,
                }
            )
            drained, _ = server.wait_drained(600)
            assert drained, "ingestion did not drain"
        rates.sort(key=lambda r: r["events_per_s"])
        middle = rates[len(rates) // 2]
        rows.append(
            [
                "gzip" if gzip else "plain JSON",
                f"{middle['events_per_s']:,}",
                middle["capture_loop_s"],
                middle["until_acknowledged_s"],
                round(events / middle["batches"]),
                " / ".join(f"{r['events_per_s']:,}" for r in rates),
            ]
        )
        data["gzip" if gzip else "plain"] = rates
        print(rows[-1], flush=True)
    return rows, data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50_000, help="timed capture() calls per run")
    parser.add_argument("--events", type=int, default=200_000, help="events per delivery run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="10,000 calls, 20,000 events, 1 run")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.events, args.runs = 10_000, 20_000, 1

    overhead = timer_overhead()
    with Server() as server:
        call_rows, call_data = measure_calls(server, args.calls, args.runs)
        delivery_rows, delivery_data = measure_delivery(server, args.events, args.runs)

    sections = [
        f"`capture()` cost to the caller, {args.calls:,} calls per run, {args.runs} run(s); "
        f"timer overhead {overhead:.2f} µs per call, included:",
        md_table(["SDK", "event", "median µs", "p90 µs", "p99 µs", "medians of runs"], call_rows),
        f"Delivered to the local server, {args.events:,} events per run, {args.runs} run(s):",
        md_table(
            [
                "body",
                "events/s acknowledged",
                "capture loop s",
                "until acknowledged s",
                "events per request",
                "runs (events/s)",
            ],
            delivery_rows,
        ),
    ]
    report(
        "sdk_python",
        "hedgerow-client (bench/sdk_python.py)",
        sections,
        {"timer_overhead_us": overhead, "calls": call_data, "delivery": delivery_data},
    )


if __name__ == "__main__":
    main()
