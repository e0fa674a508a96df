"""What GeoIP and the bot flag cost ingestion: the real server with them on and off, in one run.

Each round starts two fresh servers, one with `HEDGEROW_GEOIP_DATABASE=off` and one with the
shipped database (the bot step runs in both: it has no switch; its own cost is measured in
process below), in alternating order. For each: ingestion is paused (the pause file), N
page views and autocaptures as posthog-js sends them (about 35 properties, ~1.5 kB; the
distinct ids of EventFactory, power-law busy) are captured through /batch/, with `$ip` from
a pool of 20,000 random public addresses (a visitor keeps one) and `$raw_user_agent` from a
list of browsers and 5% bots; then ingestion is resumed and timed until the queue is empty:
the rate is N over that time. The ratio on/off is the figure; the median of the rounds is
reported.

In process, the two steps alone on the same events: microseconds per event, with fresh
caches and again with every address and user agent cached.

    .venv/bin/python bench/geoip.py [--events 200000] [--rounds 3] [--batch 500]
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import statistics
import time
import zlib
from pathlib import Path
from typing import Any

import httpx
import orjson

from common import API_KEY, PATHS, TOKEN, EventFactory, Server, md_table, report
from hedgerow.event import IngestEvent
from hedgerow.geoip.database import open_geoip
from hedgerow.ingestion.steps.bots import BotDetector, bots_step
from hedgerow.ingestion.steps.geoip import geoip_step

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Mobile Safari/537.36",
]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
]


def public_ips(rng: random.Random, count: int) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        if rng.random() < 0.1:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv6Address(
                (0x2000 << 112) | rng.getrandbits(112)
            )
        else:
            address = ipaddress.IPv4Address(rng.getrandbits(32))
        if address.is_global:
            found.append(str(address))
    return found


def browser_properties(rng: random.Random, n: int, distinct_id: str) -> dict[str, Any]:
    """A page view's properties as posthog-js 1.200 sends them (about 35 keys, ~1.5 kB)."""
    path = rng.choice(PATHS)
    session = f"0193a{zlib.crc32(f'{distinct_id}-{n // 8}'.encode()):08x}-7000-8000-000000000000"
    return {
        "$os": rng.choice(["Windows", "Mac OS X", "iOS", "Android"]),
        "$os_version": "10.15.7",
        "$browser": rng.choice(["Chrome", "Safari", "Firefox"]),
        "$device_type": rng.choice(["Desktop", "Mobile"]),
        "$browser_version": 131,
        "$current_url": f"https://www.example.com{path}?ref={rng.randrange(50)}",
        "$host": "www.example.com",
        "$pathname": path,
        "$screen_height": 1080,
        "$screen_width": 1920,
        "$viewport_height": 950,
        "$viewport_width": 1900,
        "$lib": "web",
        "$lib_version": "1.200.3",
        "$insert_id": f"{rng.getrandbits(64):016x}",
        "$time": 1765100000.123 + n,
        "distinct_id": distinct_id,
        "$device_id": distinct_id,
        "$session_id": session,
        "$window_id": session.replace("7000", "7001"),
        "$pageview_id": f"0193b{rng.getrandbits(60):015x}",
        "$referrer": "https://www.google.com/",
        "$referring_domain": "www.google.com",
        "$timezone": "Europe/Paris",
        "$timezone_offset": -60,
        "$browser_language": "en-US",
        "$browser_language_prefix": "en",
        "$is_identified": False,
        "$process_person_profile": True,
        "$configured_session_timeout_ms": 1800000,
        "$session_entry_url": f"https://www.example.com{path}",
        "$session_entry_host": "www.example.com",
        "$session_entry_pathname": path,
        "$session_entry_referrer": "https://www.google.com/",
        "$session_entry_referring_domain": "www.google.com",
        "$lib_rate_limit_remaining_tokens": 99,
        "token": TOKEN,
    }


def events(count: int, seed: int = 9) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    factory = EventFactory(seed=seed)  # its power-law distinct ids: busy visitors repeat
    ips = public_ips(rng, 20_000)
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    made = []
    for n in range(count):
        distinct_id = factory.distinct_id()
        properties = browser_properties(rng, n, distinct_id)
        properties["$ip"] = ips[zlib.crc32(distinct_id.encode()) % len(ips)]  # one a visitor
        bot = rng.random() < 0.05
        properties["$raw_user_agent"] = rng.choice(BOTS if bot else BROWSERS)
        name = "$pageview" if n % 4 else "$autocapture"
        made.append(
            {"event": name, "distinct_id": distinct_id, "properties": properties, "timestamp": now}
        )
    return made


def ingest(env: dict[str, str], bodies: list[bytes], total: int, pause: Path) -> float:
    """Seconds the server takes to ingest `total` events captured while it was paused."""
    pause.touch()
    server = Server(HEDGEROW_INGESTION_PAUSE_FILE=str(pause), **env)
    with server, httpx.Client(base_url=server.url, timeout=120) as client:
        for body in bodies:
            client.post("/batch/", content=body).raise_for_status()
        headers = {"Authorization": f"Bearer {API_KEY}"}
        started = time.perf_counter()
        pause.unlink()
        while True:
            status = client.get("/api/projects/1/ingestion/", headers=headers).json()
            if status["received"] >= total and status["queued"] == 0:
                return time.perf_counter() - started
            time.sleep(0.05)


def in_process(sample: list[dict[str, Any]]) -> dict[str, float]:
    """Microseconds per event of each step alone: caches fresh (cold), then the same events
    again (warm: every address and user agent seen)."""
    geoip = open_geoip("")
    assert geoip is not None, "no GeoIP database: run make"
    now = "2026-12-07 10:00:00.000000"
    timings = {}
    for name, step in (("geoip", geoip_step(geoip)), ("bots", bots_step(BotDetector()))):
        for cache in ("cold", "warm"):
            copies = [
                IngestEvent(
                    1,
                    "u",
                    e["event"],
                    e["distinct_id"],
                    orjson.loads(orjson.dumps(e["properties"])),
                    now,
                    now,
                )
                for e in sample
            ]
            started = time.perf_counter()
            for event in copies:
                step(event)
            timings[f"{name}, {cache}"] = (time.perf_counter() - started) / len(copies) * 1e6
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    made = events(args.events)
    bodies = [
        orjson.dumps({"api_key": TOKEN, "batch": made[i : i + args.batch]})
        for i in range(0, len(made), args.batch)
    ]
    modes = {"off": {"HEDGEROW_GEOIP_DATABASE": "off"}, "on": {}}
    seconds: dict[str, list[float]] = {"off": [], "on": []}
    pause = Path(f"/tmp/hedgerow-bench-geoip-{time.time_ns()}.pause")
    for round_ in range(args.rounds):
        order = ["off", "on"] if round_ % 2 == 0 else ["on", "off"]
        for mode in order:
            seconds[mode].append(ingest(modes[mode], bodies, len(made), pause))
            print(f"round {round_ + 1} {mode}: {args.events / seconds[mode][-1]:,.0f} events/s")
    ratios = [on / off for on, off in zip(seconds["on"], seconds["off"], strict=True)]
    micro = in_process(made[:100_000])
    rows = [
        [
            mode,
            f"{args.events / statistics.median(times):,.0f}",
            ", ".join(f"{t:.1f}" for t in times),
        ]
        for mode, times in seconds.items()
    ]
    sections = [
        f"{args.events:,} events, {args.rounds} rounds, batches of {args.batch}.",
        md_table(["GeoIP", "events/s (median)", "seconds per round"], rows),
        f"Time with GeoIP over time without, per round: {', '.join(f'{r:.3f}' for r in ratios)}"
        f" (median {statistics.median(ratios):.3f}).",
        md_table(["step alone", "µs per event"], [[k, f"{v:.2f}"] for k, v in micro.items()]),
    ]
    report(
        "geoip",
        "GeoIP and bot flag at ingestion",
        sections,
        {"seconds": seconds, "ratios": ratios, "step_us_per_event": micro},
    )


if __name__ == "__main__":
    main()
