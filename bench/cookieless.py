"""What the cookieless step costs per event, beside the `initial_properties` step on the
same events in the same run (a step every page view already goes through).

Events are page views of `--visitors` visitors (distinct IPs and user agents) on one day, as
posthog-js sends them in cookieless mode; stateless mode, the salt store in a temporary
directory. The hash is cached per visitor and day, so the cost depends on the events per
visitor (`--events` / `--visitors`). Run it on a quiet machine:

    .venv/bin/python bench/cookieless.py [--events 50000] [--visitors 5000]
"""

from __future__ import annotations

import argparse
import copy
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hedgerow.cookieless import Mode
from hedgerow.cookieless.hashing import visitor_hash
from hedgerow.cookieless.store import CookielessStore
from hedgerow.event import IngestEvent
from hedgerow.ingestion.steps.cookieless import cookieless_step
from hedgerow.ingestion.steps.initial_properties import initial_properties_step

AT = "2026-03-10 10:00:00.000000"
NOW = 1773136800.0  # 2026-03-10 10:00 UTC


def _events(count: int, visitors: int) -> list[IngestEvent]:
    events = []
    for i in range(count):
        v = i % visitors
        properties: dict[str, Any] = {
            "$cookieless_mode": True,
            "$ip": f"10.{v // 65536 % 256}.{v // 256 % 256}.{v % 256}",
            "$raw_user_agent": f"Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0.{v % 97}",
            "$host": "www.example.com",
            "$timezone": "Europe/Paris",
            "$current_url": f"https://www.example.com/p/{i % 50}",
            "$pathname": f"/p/{i % 50}",
            "$referrer": "https://www.google.com/",
            "$referring_domain": "www.google.com",
            "$browser": "Chrome",
            "$os": "Linux",
            "$device_type": "Desktop",
            "$process_person_profile": False,
        }
        event = IngestEvent(1, f"u{i}", "$pageview", "$posthog_cookieless", properties, AT, AT)
        events.append(event)
    return events


def _time(step: Callable[[IngestEvent], object], events: list[IngestEvent]) -> float:
    batch = copy.deepcopy(events)
    started = time.perf_counter()
    for event in batch:
        step(event)
    return (time.perf_counter() - started) / len(batch) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--visitors", type=int, default=5_000)
    args = parser.parse_args()
    events = _events(args.events, args.visitors)
    with tempfile.TemporaryDirectory() as directory:
        store = CookielessStore(Path(directory) / "cookieless.sqlite3", lambda: NOW, 3600)
        cookieless = cookieless_step(store, lambda project_id: (Mode.STATELESS, "UTC"))
        initial = initial_properties_step()
        for _ in range(2):  # the first round warms the root domains' cache and the salt
            visitor_hash.cache_clear()  # each visitor's first event computes its hash
            ours = _time(cookieless, events)
            reference = _time(initial, events)
        store.close()
    print(f"cookieless step: {ours:.1f} µs/event; initial_properties step: {reference:.1f}")
    print(f"ratio: {ours / reference:.2f}")


if __name__ == "__main__":
    main()
