"""Analytics queries on 10M events: each query kind beside hand-written ClickHouse SQL.

Loads N events (default 10,000,000; --quick 1,000,000) for --persons persons (100,000) into
a `ChdbEventStore` through its writer (`insert`, the call ingestion makes: Arrow batches of
--chunk events, materialized columns computed at insert), with realistic shapes: bench/
common.py's EventFactory properties (10 common keys, a nested object, 5 sparse keys of 2,000),
power-law activity per person, event names with a long tail (`Plan purchased` among them),
`$autocapture` events with an `$elements_chain` (buttons 'Purchase', 'Add', links, inputs),
`$session_id`, person properties, timestamps spread over the 90 days before the first load.
`planId` and `price` are materialized first, as a user would do through
`POST /api/projects/{id}/materialized_columns/` for the properties they filter on.
The data directory (--data-dir, default bench/data/analytics-<N>) is kept and reused: loading
resumes at the first chunk not yet written (a chunk is generated from its own seed; the
insert's deduplication token makes a repeated chunk harmless), then OPTIMIZE FINAL once.
Each person's person index is its number + 1 (what a person store would give, densely); a
data directory loaded before person indexes existed gets them the way the server's start-up
upgrade writes them (`fill_person_indexes`), and the time it took is reported.

Timed, in one process, for each case: Hedgerow's query runner (SQL built from the typed
query, run, response shaped; no HTTP) and a hand-written ClickHouse SQL doing the same work,
alternately, one warm-up then --runs runs each; the table has medians. Cases: daily count
with a property filter (30 days), DAU over 90 days, weekly sum of a property (90 days),
top-10 breakdown (30 days), a three-step funnel (30 days, 14-day window), an action series
(30 days). Totals of both answers are compared.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import ROOT, EventFactory, md_table, median, report
from hedgerow.actions import ActionStore
from hedgerow.event import IngestEvent
from hedgerow.persons.ids import person_uuid
from hedgerow.query.core import QueryEnv
from hedgerow.query.funnels import run_funnels_query
from hedgerow.query.trends import run_trends_query
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE

DAYS = 90
RENAMES = {"custom_event_00": "Plan purchased", "custom_event_01": "checkout_started"}
CHAINS = [
    'button.btn.btn-primary:attr__class="btn btn-primary"nth-child="2"nth-of-type="1"'
    'text="Purchase";div.pricing:attr__class="pricing"nth-child="1"nth-of-type="1"',
    'button.btn.btn-primary:attr__class="btn btn-primary"nth-child="2"nth-of-type="1"'
    'text="Add";div.pricing:attr__class="pricing"nth-child="1"nth-of-type="1"',
    'a:attr__href="/docs"href="/docs"nth-child="1"nth-of-type="1"text="Docs";nav:nth-child="1"'
    'nth-of-type="1"',
    'input:attr__type="email"nth-child="1"nth-of-type="1";form:attr_id="signup"'
    'nth-child="3"nth-of-type="1"',
    'span:nth-child="1"nth-of-type="1"text="Save";button.save:attr__class="save"nth-child="1"'
    'nth-of-type="1"',
]
MATERIALIZED = ("planId", "price")
COUNTRIES = ["US", "GB", "DE", "FR", "IN", "BR", "CA", "NL"]


def chunk_events(index: int, size: int, persons: int, anchor: datetime) -> list[IngestEvent]:
    factory = EventFactory(seed=1000 + index, distinct_ids=persons)
    rng = random.Random(5000 + index)
    start = anchor - timedelta(days=DAYS)
    now = anchor.strftime("%Y-%m-%d %H:%M:%S.000000")
    events = []
    for n in range(size):
        distinct_id = factory.distinct_id()
        name = factory.event_name()
        name = RENAMES.get(name, name)
        props = factory.properties()
        moment = start + timedelta(seconds=rng.random() * DAYS * 86400)
        props["$session_id"] = f"s-{distinct_id}-{moment.date()}-{moment.hour // 6}"
        number = int(distinct_id[5:])
        events.append(
            IngestEvent(
                team_id=1,
                uuid=f"{index:08x}-{n >> 16:04x}-{n & 0xFFFF:04x}-8000-{rng.getrandbits(48):012x}",
                event=name,
                distinct_id=distinct_id,
                properties=props,
                timestamp=moment.isoformat(" ", "microseconds")[:26],
                now=now,
                elements_chain=rng.choice(CHAINS) if name == "$autocapture" else "",
                person_id=person_uuid(1, distinct_id),
                person_idx=number + 1,
                person_properties={
                    "email": f"{distinct_id}@example.com",
                    "country": COUNTRIES[number % len(COUNTRIES)],
                    "plan": ["free", "pro", "team"][number % 3],
                },
                person_created_at=start.isoformat(" ", "microseconds")[:26],
            )
        )
    return events


def load(
    store: ChdbEventStore, data_dir: Path, total: int, chunk: int, persons: int
) -> dict[str, Any]:
    meta_path = data_dir / "bench-analytics.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if not meta:
        anchor = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        meta = {"anchor": anchor.isoformat(), "chunks": 0, "optimized": False, "seconds": 0.0}
    anchor = datetime.fromisoformat(meta["anchor"])
    chunks = (total + chunk - 1) // chunk
    for index in range(meta["chunks"], chunks):
        began = time.perf_counter()
        events = chunk_events(index, min(chunk, total - index * chunk), persons, anchor)
        store.insert(events, f"bench-analytics-{index}")
        meta["chunks"] = index + 1
        meta["seconds"] += time.perf_counter() - began
        meta_path.write_text(json.dumps(meta))
        print(f"chunk {index + 1}/{chunks} in {time.perf_counter() - began:.1f} s", flush=True)
    if not meta["optimized"]:
        began = time.perf_counter()
        store.query(f"OPTIMIZE TABLE {DATABASE}.events FINAL")
        meta["optimized"] = True
        meta["optimize_seconds"] = time.perf_counter() - began
        meta_path.write_text(json.dumps(meta))
    return dict(meta)


def upgrade(store: ChdbEventStore, data_dir: Path, meta: dict[str, Any]) -> None:
    """Give the events of a directory loaded before person indexes theirs, timed."""
    if not store.unindexed_person_ids():
        return
    began = time.perf_counter()
    rows = store.query(
        f"SELECT DISTINCT distinct_id, toString(person_id) FROM {DATABASE}.events"
    ).rows
    store.fill_person_indexes({pid: int(did[5:]) + 1 for did, pid in rows})
    meta["upgrade_seconds"] = time.perf_counter() - began
    print(f"person indexes written in {meta['upgrade_seconds']:.1f} s", flush=True)
    (data_dir / "bench-analytics.json").write_text(json.dumps(meta))


class _Actions:
    """The one action the benchmark uses: the drift example from the guide."""

    def __init__(self, path: Path) -> None:
        self.store = ActionStore(path)
        found = self.store.all(1)
        steps = [
            {"event": "$autocapture", "text": "Purchase"},
            {"event": "$autocapture", "text": "Add"},
            {"event": "Plan purchased"},
        ]
        self.action = found[0] if found else self.store.create(1, "Purchased", "", steps)

    def steps(self, team_id: int, action_id: int) -> tuple[str, list[dict[str, Any]]] | None:
        return self.store.steps(team_id, action_id)


def cases(anchor: datetime, action_id: int) -> list[tuple[str, dict[str, Any], str]]:
    d30 = {
        "date_from": (anchor - timedelta(days=30)).date().isoformat(),
        "date_to": (anchor - timedelta(days=1)).date().isoformat(),
    }
    d90 = {
        "date_from": (anchor - timedelta(days=90)).date().isoformat(),
        "date_to": (anchor - timedelta(days=1)).date().isoformat(),
    }
    r30 = (
        f"timestamp >= toDateTime64('{d30['date_from']} 00:00:00', 6, 'UTC') AND "
        f"timestamp <= toDateTime64('{d30['date_to']} 23:59:59.999999', 6, 'UTC')"
    )
    r90 = r30.replace(d30["date_from"], d90["date_from"])
    ev = f"{DATABASE}.events"
    return [
        (
            "daily count, property filter (planId = pro), 30 days",
            {
                "kind": "TrendsQuery",
                "series": [{"event": "$pageview"}],
                "dateRange": d30,
                "properties": [{"key": "planId", "value": "pro", "operator": "exact"}],
            },
            f"SELECT toDate(timestamp, 'UTC') AS d, count() FROM {ev} WHERE team_id = 1 AND "
            f"event = '$pageview' AND {r30} AND `mat_planId` = 'pro' "
            "GROUP BY d ORDER BY d",
        ),
        (
            "DAU, 90 days",
            {
                "kind": "TrendsQuery",
                "series": [{"event": "$pageview", "math": "dau"}],
                "dateRange": d90,
            },
            f"SELECT toDate(timestamp, 'UTC') AS d, uniqExact(person_idx) FROM {ev} "
            f"WHERE team_id = 1 AND event = '$pageview' AND {r90} GROUP BY d ORDER BY d",
        ),
        (
            "weekly sum of price, 90 days",
            {
                "kind": "TrendsQuery",
                "interval": "week",
                "dateRange": d90,
                "series": [{"event": "Plan purchased", "math": "sum", "math_property": "price"}],
            },
            f"SELECT toStartOfWeek(toDate(timestamp, 'UTC'), 0) AS w, "
            f"sum(toFloat64OrNull(`mat_price`)) FROM {ev} WHERE team_id = 1 AND "
            f"event = 'Plan purchased' AND {r90.replace(d90['date_from'], _week(d90))} "
            "GROUP BY w ORDER BY w",
        ),
        (
            "top-10 breakdown by $browser, daily, 30 days",
            {
                "kind": "TrendsQuery",
                "series": [{"event": "$pageview"}],
                "dateRange": d30,
                "breakdownFilter": {"breakdown": "$browser", "breakdown_limit": 10},
            },
            f"WITH top AS (SELECT `mat_$browser` AS b FROM {ev} WHERE team_id = 1 AND "
            f"event = '$pageview' AND {r30} GROUP BY b ORDER BY count() DESC, b LIMIT 10) "
            f"SELECT toDate(timestamp, 'UTC') AS d, if(`mat_$browser` IN top, `mat_$browser`, "
            f"'other') AS b, count() FROM {ev} WHERE team_id = 1 AND event = '$pageview' AND "
            f"{r30} GROUP BY d, b",
        ),
        (
            "funnel $pageview → signed_up → Plan purchased, 30 days",
            {
                "kind": "FunnelsQuery",
                "dateRange": d30,
                "series": [
                    {"event": "$pageview"},
                    {"event": "signed_up"},
                    {"event": "Plan purchased"},
                ],
            },
            "SELECT level, count() FROM (SELECT person_idx, windowFunnel(1209600)("
            "toDateTime(timestamp), event = '$pageview', event = 'signed_up', "
            f"event = 'Plan purchased') AS level FROM {ev} WHERE team_id = 1 AND {r30} AND "
            "event IN ('$pageview', 'signed_up', 'Plan purchased') GROUP BY person_idx) "
            "WHERE level > 0 GROUP BY level ORDER BY level",
        ),
        (
            "action series (drift example), daily, 30 days",
            {
                "kind": "TrendsQuery",
                "dateRange": d30,
                "series": [{"kind": "ActionsNode", "id": action_id}],
            },
            f"SELECT toDate(timestamp, 'UTC') AS d, count() FROM {ev} WHERE team_id = 1 AND "
            f"{r30} AND ((event = '$autocapture' AND ("
            'match(elements_chain, \'[:"]text="Purchase"\') OR '
            "match(elements_chain, '[:\"]text=\"Add\"'))) OR event = 'Plan purchased') "
            "GROUP BY d ORDER BY d",
        ),
    ]


def _week(d90: dict[str, str]) -> str:
    day = datetime.fromisoformat(d90["date_from"]).date()
    return (day - timedelta(days=(day.weekday() + 1) % 7)).isoformat()


def _total(kind: str, result: dict[str, Any]) -> float:
    if kind == "FunnelsQuery":
        return float(result["results"][0]["count"])
    return float(sum(r["count"] for r in result["results"]))


def _hand_total(kind: str, rows: list[list[Any]]) -> float:
    if kind == "FunnelsQuery":
        return float(sum(int(r[1]) for r in rows))
    return float(sum(float(r[-1]) for r in rows))


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    value = fn()
    return (time.perf_counter() - began) * 1000, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--data-dir", type=Path, default=None)
    parser.add_argument("--quick", action="store_true", help="1M events")
    parser.add_argument("--load-only", action="store_true")
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    args = parser.parse_args()
    total = 1_000_000 if args.quick else args.events
    data_dir = args.data_dir or ROOT / "bench" / "data" / f"analytics-{total}"
    data_dir.mkdir(parents=True, exist_ok=True)
    store = ChdbEventStore(data_dir / "events.chdb")
    for key in MATERIALIZED:  # what a user filters on gets a column (docs/api.md)
        store.materialize(key)
    meta = load(store, data_dir, total, args.chunk, args.persons)
    upgrade(store, data_dir, meta)
    if args.load_only:
        return
    actions = _Actions(data_dir / "meta.sqlite3")
    env = QueryEnv(store, 1, "UTC", actions)
    anchor = datetime.fromisoformat(meta["anchor"])
    rows = []
    data: dict[str, Any] = {"events": total, "persons": args.persons, "load": meta, "cases": []}
    for name, query, sql in cases(anchor, actions.action.id):
        if args.only not in name:
            continue
        runner = run_funnels_query if query["kind"] == "FunnelsQuery" else run_trends_query
        ours_once = runner(env, query)
        hand_once = store.query(sql).rows
        same = abs(
            _total(query["kind"], ours_once) - _hand_total(query["kind"], hand_once)
        ) < 1e-6 * max(1.0, _total(query["kind"], ours_once))
        ours, hand = [], []
        for _ in range(args.runs):
            ours.append(timed(lambda r=runner, q=query: r(env, q))[0])  # type: ignore[misc]
            hand.append(timed(lambda s=sql: store.query(s))[0])  # type: ignore[misc]
        o, h = median(ours), median(hand)
        rows.append(
            [
                name,
                f"{o:.0f}",
                f"{h:.0f}",
                f"{o / h:.2f}",
                "yes" if same else "NO",
                " / ".join(f"{v:.0f}" for v in ours),
            ]
        )
        data["cases"].append({"name": name, "ours_ms": ours, "hand_ms": hand, "same": same})
        print(rows[-1], flush=True)
    table = md_table(
        ["query", "Hedgerow ms (median)", "hand SQL ms", "ratio", "same totals", "Hedgerow runs"],
        rows,
    )
    load_line = (
        f"{total:,} events, {args.persons:,} persons, loaded through `ChdbEventStore.insert` in "
        f"{meta['seconds']:.0f} s ({total / max(meta['seconds'], 1e-9):,.0f} events/s), "
        f"OPTIMIZE FINAL {meta.get('optimize_seconds', 0):.0f} s."
    )
    report("analytics", "Analytics queries", [load_line, table], data)
    store.close()


if __name__ == "__main__":
    main()
