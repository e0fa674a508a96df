"""Deleting one person's events from the event store: lightweight `DELETE FROM` against an
`ALTER TABLE ... DELETE` mutation, on chDB.

Directly through `ChdbEventStore` (no server), each variant in a fresh temporary store:
writes --events events (default 300,000) for --persons persons (3,000) over 90 days with
`bench/overrides.py`'s generator (realistic rows, materialized columns computed), then
OPTIMIZE FINAL. Timed, median of --runs (3) persons (a busy one each run, all its distinct
ids): the delete until it returns with the rows gone (`lightweight_deletes_sync` /
`mutations_sync = 2`, both the default wait), then a unique-users-per-day query over the
whole range before and after (a lightweight delete leaves a mask every later read applies
until merges drop the rows), and the bytes on disk after. The lightweight delete runs with
the table setting `lightweight_mutation_projection_mode` at 'rebuild' and at 'drop' (the
events table has the `first_seen` projection; the default, 'throw', refuses the delete).
Also timed: a retention-style delete of the events older than 30 days, both ways.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import md_table, median, report
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE
from overrides import BATCH, insert_sql

UNIQUES = (
    f"SELECT toDate(timestamp) AS day, uniqExact(person_idx) FROM {DATABASE}.events "
    "WHERE team_id = 1 GROUP BY day ORDER BY day"
)


def build(path: Path, events: int, persons: int, base_us: int) -> ChdbEventStore:
    store = ChdbEventStore(path)
    for start in range(0, events, BATCH):
        store._execute(insert_sql(start, min(BATCH, events - start), persons, base_us))
    store._execute(f"OPTIMIZE TABLE {DATABASE}.events FINAL")
    return store


def disk_bytes(store: ChdbEventStore) -> int:
    rows = store.query(
        "SELECT sum(bytes_on_disk) FROM system.parts WHERE database = 'hedgerow' "
        "AND table = 'events' AND active"
    ).rows
    return int(rows[0][0])


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def person_delete(store: ChdbEventStore, method: str, person: int) -> tuple[float, int]:
    ids = store.query(
        f"SELECT groupUniqArray(distinct_id), count() FROM {DATABASE}.events "
        f"WHERE person_idx = {person + 1}"
    ).rows[0]
    quoted = ", ".join("'" + d + "'" for d in ids[0])
    where = f"team_id = 1 AND distinct_id IN ({quoted})"
    if method == "mutation":
        sql = f"ALTER TABLE {DATABASE}.events DELETE WHERE {where} SETTINGS mutations_sync = 2"
    else:
        sql = f"DELETE FROM {DATABASE}.events WHERE {where}"
    seconds = timed(lambda: store._execute(sql))
    left = store.query(f"SELECT count() FROM {DATABASE}.events WHERE {where}").rows[0][0]
    assert int(left) == 0, left
    return seconds, int(ids[1])


def variant(method: str, args: argparse.Namespace, base_us: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="erasure-bench-"))
    try:
        store = build(tmp / "events.chdb", args.events, args.persons, base_us)
        if method.startswith("lightweight"):
            mode = method.split("-")[1]
            store._execute(
                f"ALTER TABLE {DATABASE}.events MODIFY SETTING "
                f"lightweight_mutation_projection_mode = '{mode}'"
            )
        store.query(UNIQUES)
        before = median([timed(lambda: store.query(UNIQUES)) for _ in range(3)])
        deletes, rows = [], []
        for run in range(args.runs):
            seconds, count = person_delete(store, method, run * 7)
            deletes.append(seconds)
            rows.append(count)
        after = median([timed(lambda: store.query(UNIQUES)) for _ in range(3)])
        size = disk_bytes(store)
        cutoff = datetime.fromtimestamp(base_us / 1e6, UTC) + timedelta(days=60)
        where = f"team_id = 1 AND timestamp < toDateTime64('{cutoff:%Y-%m-%d %H:%M:%S}', 6)"
        old = int(store.query(f"SELECT count() FROM {DATABASE}.events WHERE {where}").rows[0][0])
        if method == "mutation":
            sql = f"ALTER TABLE {DATABASE}.events DELETE WHERE {where} SETTINGS mutations_sync = 2"
        else:
            sql = f"DELETE FROM {DATABASE}.events WHERE {where}"
        retention = timed(lambda: store._execute(sql))
        store.close()
        return {
            "method": method,
            "person_delete_s": deletes,
            "person_rows": rows,
            "query_before_s": before,
            "query_after_s": after,
            "disk_bytes_after": size,
            "retention_delete_s": retention,
            "retention_rows": old,
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--persons", type=int, default=3_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    base_us = int((datetime.now(UTC) - timedelta(days=90)).timestamp() * 1e6)
    results = [
        variant(m, args, base_us) for m in ("lightweight-rebuild", "lightweight-drop", "mutation")
    ]
    table = md_table(
        [
            "method",
            "delete one person (median s)",
            "rows deleted",
            "uniques query before / after (ms)",
            "disk after (MiB)",
            "delete 2/3 of the rows (s)",
        ],
        [
            [
                r["method"],
                f"{median(r['person_delete_s']):.3f} "
                f"({', '.join(f'{s:.3f}' for s in r['person_delete_s'])})",
                ", ".join(str(n) for n in r["person_rows"]),
                f"{r['query_before_s'] * 1000:.1f} / {r['query_after_s'] * 1000:.1f}",
                f"{r['disk_bytes_after'] / 2**20:.1f}",
                f"{r['retention_delete_s']:.3f} ({r['retention_rows']} rows)",
            ]
            for r in results
        ],
    )
    report(
        "erasure",
        f"Erasure: lightweight DELETE vs ALTER DELETE ({args.events:,} events)",
        [table],
        {"results": results},
    )


if __name__ == "__main__":
    main()
