"""A web analytics dataset for `bench/web_analytics.py`, generated inside the event store by
SQL (minutes for ten million events, where loading through the store's Python writer took
35): sessions of 1-12 events (page views, autocaptures, a custom event) over the 90 days
before the moment it is made, so that today is a partial day.

Per session: a person (power law over --persons), a host (one in 20 on a second site), a
referring domain (direct, search engines, social sites, a long tail of blogs), UTM values
on the landing event for a quarter of them, the person's browser, OS, device type and
place (country, region, city). Per page view: a path (`/`, `/pricing`, 80 docs pages, 120
blog posts, ...) as `$pathname` and in `$current_url`. Every event also carries the usual
posthog-js keys, so that its JSON is as large as a real one. The sessions table is filled
from the stored events afterwards (the store's one-time backfill).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE
from hedgerow.store.sessions_schema import SESSIONS_TABLE, sessions_backfill_sql

DAYS = 90
EVENTS_PER_SESSION = 6.5  # 1-12, even
PLACES = [
    ("US", "California", "San Francisco"),
    ("US", "New York", "New York"),
    ("US", "Texas", "Austin"),
    ("GB", "England", "London"),
    ("GB", "Scotland", "Edinburgh"),
    ("DE", "Bavaria", "Munich"),
    ("DE", "Berlin", "Berlin"),
    ("FR", "Ile-de-France", "Paris"),
    ("IN", "Karnataka", "Bengaluru"),
    ("BR", "Sao Paulo", "Sao Paulo"),
    ("CA", "Ontario", "Toronto"),
    ("NL", "North Holland", "Amsterdam"),
    ("JP", "Tokyo", "Tokyo"),
    ("AU", "New South Wales", "Sydney"),
    ("ES", "Madrid", "Madrid"),
    ("SE", "Stockholm", "Stockholm"),
]


def _array(values: list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "\\'") + "'" for v in values) + "]"


def _pick(values: list[str], hash_sql: str) -> str:
    return f"{_array(values)}[1 + ({hash_sql}) % {len(values)}]"


def insert_sql(first: int, last: int, persons: int, made: datetime) -> str:
    """Sessions `first` to `last - 1` with their events."""
    start = (made - timedelta(days=DAYS)).strftime("%Y-%m-%d %H:%M:%S")
    span = DAYS * 86400 - 3600  # the last session ends before `made`
    h = "cityHash64(s, {})".format
    hi = "cityHash64(s, i, {})".format
    place = f"1 + cityHash64(person, 10) % {len(PLACES)}"
    countries = _array([p[0] for p in PLACES])
    regions = _array([p[1] for p in PLACES])
    cities = _array([p[2] for p in PLACES])
    path = (
        f"multiIf({hi(7)} % 100 < 20, '/', {hi(7)} % 100 < 35, '/pricing', "
        f"{hi(7)} % 100 < 45, '/features', {hi(7)} % 100 < 50, '/about', "
        f"{hi(7)} % 100 < 55, '/signup', "
        f"{hi(7)} % 100 < 75, concat('/docs/', toString({hi(17)} % 80)), "
        f"{hi(7)} % 100 < 95, concat('/blog/post-', toString({hi(17)} % 120)), '/contact')"
    )
    referrer = (
        f"multiIf({h(8)} % 100 < 40, '$direct', {h(8)} % 100 < 65, 'www.google.com', "
        f"{h(8)} % 100 < 72, 'www.bing.com', {h(8)} % 100 < 80, 't.co', "
        f"{h(8)} % 100 < 86, 'www.facebook.com', {h(8)} % 100 < 90, 'news.ycombinator.com', "
        f"{h(8)} % 100 < 95, 'duckduckgo.com', "
        f"concat('blog', toString({h(18)} % 200), '.example.org'))"
    )
    tagged = f"i = 0 AND {h(11)} % 4 = 0"
    sources = ["google", "newsletter", "twitter", "facebook", "partner"]
    mediums = ["cpc", "email", "social", "referral"]
    campaigns = ["spring-sale", "launch", *(f"brand-{n}" for n in range(30))]
    props = {
        "$session_id": "concat('s-', toString(s))",
        "$window_id": "concat('w-', toString(s))",
        "$device_id": "concat('d-', toString(person))",
        "$host": "host",
        "$pathname": "path",
        "$current_url": "concat('https://', host, path)",
        "$referring_domain": "referrer",
        "$referrer": "if(referrer = '$direct', '$direct', concat('https://', referrer, '/'))",
        "utm_source": f"if({tagged}, {_pick(sources, h(12))}, '')",
        "utm_medium": f"if({tagged}, {_pick(mediums, h(13))}, '')",
        "utm_campaign": f"if({tagged}, {_pick(campaigns, h(14))}, '')",
        "$browser": _pick(["Chrome", "Chrome", "Chrome", "Safari", "Firefox", "Edge"], "p9"),
        "$browser_version": "'131'",
        "$os": _pick(["Windows", "Mac OS X", "iOS", "Android", "Linux"], "intDiv(p9, 256)"),
        "$device_type": _pick(["Desktop", "Desktop", "Mobile", "Tablet"], "intDiv(p9, 65536)"),
        "$geoip_country_code": f"{countries}[{place}]",
        "$geoip_subdivision_1_name": f"{regions}[{place}]",
        "$geoip_city_name": f"{cities}[{place}]",
        "$lib": "'web'",
        "$lib_version": "'1.200.3'",
        "$screen_width": "'1920'",
        "$screen_height": "'1080'",
        "$viewport_width": "'1440'",
        "$timezone": "'Europe/London'",
        "$raw_user_agent": "'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/131.0.0.0 Safari/537.36'",
        "$pageview_id": "toString(generateUUIDv4(i))",
        "title": "concat('Example - ', path)",
    }
    pairs = ", ".join(f"'{k}', {v}" for k, v in props.items())
    properties = f"toJSONString(mapFilter((k, v) -> v != '', map({pairs})))"
    event = (
        f"if(i = 0, '$pageview', multiIf({hi(5)} % 10 < 6, '$pageview', "
        f"{hi(5)} % 10 < 9, '$autocapture', 'signup_clicked'))"
    )
    sessions = (
        f"SELECT number AS s, toUInt64(pow({persons}, ({h(2)} % 1000000) / 1e6)) AS person, "
        f"cityHash64(person, 9) AS p9, "
        f"toDateTime64('{start}', 6, 'UTC') + toIntervalSecond({h(3)} % {span}) AS t0, "
        f"5 + {h(4)} % 115 AS gap, 1 + {h(1)} % 12 AS k, "
        f"if({h(6)} % 20 = 0, 'shop.example.com', 'www.example.com') AS host, "
        f"{referrer} AS referrer FROM numbers({first}, {last - first})"
    )
    return (
        f"INSERT INTO {DATABASE}.events (uuid, team_id, event, distinct_id, timestamp, "
        "created_at, properties, elements_chain, person_id, person_idx, person_properties, "
        "person_created_at, person_mode) "
        f"SELECT generateUUIDv4(cityHash64(s, i)), 1, {event}, concat('user-', toString(person)), "
        "t0 + toIntervalMillisecond(i * gap * 1000 + cityHash64(s, i) % 1000) AS ts, ts, "
        f"{properties}, '', reinterpretAsUUID(MD5(concat('user-', toString(person)))), "
        f"person, '{{}}', toDateTime64('{start}', 6, 'UTC'), 'full' "
        f"FROM (SELECT *, i, {path} AS path FROM ({sessions}) ARRAY JOIN range(k) AS i)"
    )


def generate(data_dir: Path, events: int, persons: int, chunks: int = 10) -> dict[str, Any]:
    """Make the dataset in `data_dir` (events.chdb and bench-web.json); timings in the
    returned metadata."""
    data_dir.mkdir(parents=True, exist_ok=True)
    made = datetime.now(UTC).replace(microsecond=0)
    store = ChdbEventStore(data_dir / "events.chdb")
    sessions = int(events / EVENTS_PER_SESSION)
    began = time.perf_counter()
    for n in range(chunks):
        first, last = sessions * n // chunks, sessions * (n + 1) // chunks
        store.run(insert_sql(first, last, persons, made))
        print(f"sessions {last:,} of {sessions:,}: {time.perf_counter() - began:.0f} s", flush=True)
    inserted = time.perf_counter() - began
    store.run(f"OPTIMIZE TABLE {DATABASE}.events FINAL")
    optimized = time.perf_counter() - began - inserted
    store.run(f"TRUNCATE TABLE {SESSIONS_TABLE}")
    store.run(sessions_backfill_sql())
    backfilled = time.perf_counter() - began - inserted - optimized
    count = int(store.run(f"SELECT count() FROM {DATABASE}.events").rows[0][0])
    store.close()
    tomorrow = (made + timedelta(days=1)).replace(hour=0, minute=0, second=0)
    meta = {
        "anchor": tomorrow.isoformat(),  # the benchmark's periods end at the end of today
        "made": made.isoformat(),
        "events": count,
        "sessions": sessions,
        "persons": persons,
        "insert_seconds": inserted,
        "optimize_seconds": optimized,
        "sessions_seconds": backfilled,
    }
    (data_dir / "bench-web.json").write_text(json.dumps(meta, indent=1))
    return meta
