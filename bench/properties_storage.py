"""How should chDB hold event `properties`? Three layouts on the same synthetic events.

Layouts, all in Hedgerow's own `events` table shell (same columns, partitioning and ORDER BY,
taken from `hedgerow.store.schema.events_ddl()`):
  a  `properties String` only; queries parse the JSON text with JSONExtract*.
  b  Hedgerow as shipped: String + every `mat_*` MATERIALIZED column of events_ddl(), plus
     `materialized_ddl('planId')` and `materialized_ddl('price')` (what `materialize()` adds
     for keys people filter on). Queries read the mat columns the way Hedgerow's filter
     compiler does; the sparse key is not materialized, so it uses Hedgerow's JSONType form.
  c  `properties JSON(max_dynamic_paths=256)` instead of the String (if the insert fails, the
     error is recorded).

The parent generates the events once (default 1,000,000, sorted by timestamp, over 90 days),
writes them to Parquet, then runs each layout in its own subprocess with its own temporary
chDB directory (deleted afterwards). Each child: round-trip check (tricky property objects
inserted one per row, read back, compared parsed and type-strict), load (Arrow chunks through
`INSERT … SELECT … FROM Python(chunk)`, like the store), `OPTIMIZE … FINAL`, size of the
active parts (system.parts bytes_on_disk), and 5 timed runs (after 1 warm-up) of each query;
the median is reported. Query results are cross-checked between layouts.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from common import EventFactory, md_table, median, report

SPARSE_KEY = "sparse_0007"
NEEDLE = "/checkout"
TRICKY = {
    "dotted keys": '{"$screen.width": 1920, "a.b": {"c.d": true}}',
    "nulls": '{"none": null, "nested": {"x": null}, "list": [null, 1]}',
    "empty values": '{"empty_obj": {}, "empty_list": [], "empty_str": ""}',
    "big ints": '{"i64max": 9223372036854775807, "u64max": 18446744073709551615, '
    '"i64min": -9223372036854775808, "beyond_u64": 123456789012345678901234567890}',
    "floats": '{"tenth": 0.1, "whole_float": 10.0, "tiny": 5e-324, "huge": 1.7976931348623157e308}',
    "nested arrays": '{"m": [[1, 2], [3, [4, 5]]], "mixed": [1, "a", null, {"k": [true]}], '
    '"objs": [{"a": 1}, {"b": "x"}]}',
    "path conflict": '{"a": {"b": 1}, "a.b": 2}',
    "strings": '{"unicode": "h\\u00e9llo \\ud83d\\ude00", "quote": "a\\"b\\\\c\\n", '
    '"nul": "x\\u0000y"}',
    "empty object": "{}",
}

QUERIES = {
    "Q1 count/day, planId='pro'": (
        "SELECT toDate(timestamp) d, count() FROM hedgerow.events WHERE {plan} = 'pro' "
        "GROUP BY d ORDER BY d"
    ),
    "Q2 sum(price)/week": (
        "SELECT toStartOfWeek(timestamp) w, round(sum({price}), 2) FROM hedgerow.events "
        "GROUP BY w ORDER BY w"
    ),
    "Q3 top-10 $browser": (
        "SELECT {browser} b, count() c FROM hedgerow.events GROUP BY b ORDER BY c DESC, b LIMIT 10"
    ),
    f"Q4 count where {SPARSE_KEY} is set": "SELECT count() FROM hedgerow.events WHERE {sparse}",
    f"Q5 count where $current_url contains '{NEEDLE}'": (
        "SELECT count() FROM hedgerow.events WHERE positionCaseInsensitiveUTF8({url}, '"
        + NEEDLE
        + "') > 0"
    ),
}
EXPRESSIONS = {
    "a": {
        "plan": "JSONExtractString(properties, 'planId')",
        "price": "JSONExtractFloat(properties, 'price')",
        "browser": "JSONExtractString(properties, '$browser')",
        "sparse": f"JSONHas(properties, '{SPARSE_KEY}')",
        "url": "JSONExtractString(properties, '$current_url')",
    },
    "b": {
        "plan": "mat_planId",
        "price": "toFloat64OrNull(mat_price)",
        "browser": "`mat_$browser`",
        "sparse": f"JSONType(properties, '{SPARSE_KEY}') != 'Null'",
        "url": "`mat_$current_url`",
    },
    "c": {
        "plan": "properties.planId.:String",
        "price": "properties.price.:Float64",
        "browser": "properties.`$browser`.:String",
        "sparse": f"properties.{SPARSE_KEY} IS NOT NULL",
        "url": "properties.`$current_url`.:String",
    },
}
LAYOUTS = {
    "a": "String, JSONExtract at query time",
    "b": "String + mat_* columns (Hedgerow)",
    "c": "JSON(max_dynamic_paths=256)",
}
COLUMNS = "uuid, team_id, event, distinct_id, timestamp, properties"


def layout_ddl(layout: str) -> list[str]:
    from hedgerow.store.schema import events_ddl, materialized_ddl

    ddl = events_ddl()
    if layout == "b":
        return [ddl] + [
            f"ALTER TABLE hedgerow.events ADD COLUMN {materialized_ddl(k)}"
            for k in ("planId", "price")
        ]
    plain = "\n".join(ln for ln in ddl.splitlines() if " MATERIALIZED " not in ln)
    plain = re.sub(r",\s*\n\)", "\n)", plain)
    if layout == "c":
        string_column = "properties String CODEC(ZSTD(3))"
        if string_column not in plain:
            raise RuntimeError(f"events_ddl() changed: no {string_column!r}")
        plain = plain.replace(string_column, "properties JSON(max_dynamic_paths=256)")
    return [plain]


def generate(n: int, path: Path) -> float:
    import orjson
    import pyarrow as pa
    import pyarrow.parquet as pq

    started = time.perf_counter()
    factory = EventFactory(seed=42)
    rng = factory.rng
    span = 90 * 86400
    offsets = sorted(rng.random() * span for _ in range(n))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    table = pa.table(
        {
            "uuid": [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(n)],
            "team_id": pa.array([1] * n, pa.int64()),
            "event": [factory.event_name() for _ in range(n)],
            "distinct_id": [factory.distinct_id() for _ in range(n)],
            "timestamp": pa.array(
                [start + timedelta(seconds=s) for s in offsets], pa.timestamp("us", tz="UTC")
            ),
            "properties": [orjson.dumps(factory.properties()).decode() for _ in range(n)],
        }
    )
    pq.write_table(table, path, compression="zstd")
    return time.perf_counter() - started


def strict_equal(x: Any, y: Any) -> bool:
    if type(x) is not type(y):
        return False
    if isinstance(x, dict):
        return x.keys() == y.keys() and all(strict_equal(x[k], y[k]) for k in x)
    if isinstance(x, list):
        return len(x) == len(y) and all(strict_equal(a, b) for a, b in zip(x, y, strict=True))
    return bool(x == y)


def roundtrip(conn: Any, ddl: str, layout: str) -> dict[str, str]:
    import pyarrow as pa

    conn.query(ddl.replace("hedgerow.events", "hedgerow.roundtrip"))
    outcome: dict[str, str] = {}
    for i, (name, text) in enumerate(TRICKY.items()):
        columns = {
            "uuid": [str(uuid.uuid4())],
            "team_id": pa.array([i], pa.int64()),
            "event": ["rt"],
            "distinct_id": ["rt"],
            "timestamp": pa.array([datetime.now(UTC)], pa.timestamp("us", tz="UTC")),
            "properties": [text],
        }
        row = pa.table(columns)  # noqa: F841 - read by Python(row)
        try:
            conn.query(f"INSERT INTO hedgerow.roundtrip ({COLUMNS}) SELECT * FROM Python(row)")
        except Exception as exc:
            outcome[name] = f"insert failed: {str(exc).splitlines()[0][:150]}"
    read = "toJSONString(properties)" if layout == "c" else "properties"
    result = conn.query(
        f"SELECT team_id, {read} FROM hedgerow.roundtrip ORDER BY team_id", "JSONCompact"
    )
    back = {int(r[0]): r[1] for r in json.loads(result.bytes())["data"]}
    for i, (name, text) in enumerate(TRICKY.items()):
        if name in outcome:
            continue
        same = strict_equal(json.loads(text), json.loads(back[i]))
        outcome[name] = "identical" if same else f"differs: {back[i][:150]}"
    return outcome


def run_layout(layout: str, data: Path, runs: int, chunk_rows: int) -> dict[str, Any]:
    import chdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    out: dict[str, Any] = {"layout": layout}
    workdir = Path(tempfile.mkdtemp(prefix=f"props-{layout}-"))
    conn = chdb.connect(str(workdir / "db"))
    try:
        conn.query("CREATE DATABASE IF NOT EXISTS hedgerow")
        statements = layout_ddl(layout)
        for statement in statements:
            conn.query(statement)
        out["roundtrip"] = roundtrip(conn, statements[0], layout)
        table = pq.read_table(data)
        started = time.perf_counter()
        try:
            for batch in table.to_batches(max_chunksize=chunk_rows):
                chunk = pa.Table.from_batches([batch])  # noqa: F841 - read by Python(chunk)
                conn.query(f"INSERT INTO hedgerow.events ({COLUMNS}) SELECT * FROM Python(chunk)")
        except Exception as exc:
            out["error"] = f"INSERT failed after {time.perf_counter() - started:.1f} s: {exc}"
            return out
        out["load_s"] = time.perf_counter() - started
        out["events"] = table.num_rows
        started = time.perf_counter()
        conn.query("OPTIMIZE TABLE hedgerow.events FINAL")
        out["optimize_s"] = time.perf_counter() - started

        def rows(sql: str) -> list[list[Any]]:
            return list(json.loads(conn.query(sql, "JSONCompact").bytes())["data"])

        parts = rows(
            "SELECT count(), sum(bytes_on_disk), sum(rows) FROM system.parts "
            "WHERE database = 'hedgerow' AND table = 'events' AND active"
        )[0]
        out["parts"], out["bytes_on_disk"] = int(parts[0]), int(parts[1])
        columns = rows(
            "SELECT name, data_compressed_bytes FROM system.columns "
            "WHERE database = 'hedgerow' AND table = 'events'"
        )
        out["properties_bytes"] = sum(int(b) for n, b in columns if n == "properties")
        out["mat_bytes"] = sum(int(b) for n, b in columns if n.startswith(("mat_", "$s", "$w")))
        out["queries"] = {}
        for name, template in QUERIES.items():
            sql = template.format(**EXPRESSIONS[layout])
            result = rows(sql)  # warm-up
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                conn.query(sql, "JSONCompact")
                times.append(time.perf_counter() - started)
            out["queries"][name] = {"median_ms": median(times) * 1000, "result": result}
        return out
    finally:
        conn.close()
        shutil.rmtree(workdir, ignore_errors=True)


def orjson_roundtrip() -> dict[str, str]:
    """What Hedgerow's capture path (orjson.loads then orjson.dumps) does to the same objects."""
    import orjson

    outcome = {}
    for name, text in TRICKY.items():
        try:
            back = orjson.dumps(orjson.loads(text)).decode()
        except orjson.JSONDecodeError as exc:
            outcome[name] = f"rejected: {exc}"
            continue
        same = strict_equal(json.loads(text), json.loads(back))
        outcome[name] = "identical" if same else f"differs: {back[:150]}"
    return outcome


def same_results(x: Any, y: Any) -> bool:
    if isinstance(x, float) or isinstance(y, float):
        return abs(float(x) - float(y)) <= 1e-6 * max(1.0, abs(float(x)))
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(same_results(a, b) for a, b in zip(x, y, strict=True))
    return bool(str(x) == str(y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=None, help="default 1,000,000")
    parser.add_argument("--quick", action="store_true", help="100,000 events, 3 runs")
    parser.add_argument("--layouts", default="abc")
    parser.add_argument("--chunk-rows", type=int, default=100_000, help="rows per INSERT")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, default=None)
    args = parser.parse_args()
    runs = args.runs or (3 if args.quick else 5)
    if args.child:
        print(json.dumps(run_layout(args.child, args.data, runs, args.chunk_rows)))
        return
    n = args.events or (100_000 if args.quick else 1_000_000)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="props-data-") as tmp:
        data = Path(tmp) / "events.parquet"
        gen_s = generate(n, data)
        print(f"generated {n:,} events in {gen_s:.1f} s", file=sys.stderr)
        for layout in args.layouts:
            command = [
                sys.executable,
                __file__,
                "--child",
                layout,
                "--data",
                str(data),
                "--runs",
                str(runs),
                "--chunk-rows",
                str(args.chunk_rows),
            ]
            try:
                done = subprocess.run(command, capture_output=True, text=True, timeout=3600)
                if done.returncode == 0:
                    results[layout] = json.loads(done.stdout.strip().splitlines()[-1])
                else:
                    results[layout] = {"error": f"exit {done.returncode}: {done.stderr[-800:]}"}
            except subprocess.TimeoutExpired:
                results[layout] = {"error": "did not finish within 3600 s"}
            print(f"layout {layout} done", file=sys.stderr)

    mib = 1024 * 1024
    load_rows = []
    for layout, r in results.items():
        if "load_s" not in r:
            load_rows.append(
                [
                    f"{layout}: {LAYOUTS[layout]}",
                    "failed",
                    "",
                    "",
                    "",
                    "",
                    "",
                    r.get("error", "")[:400],
                ]
            )
            continue
        load_rows.append(
            [
                f"{layout}: {LAYOUTS[layout]}",
                f"{r['load_s']:.1f}",
                f"{n / r['load_s']:,.0f}",
                f"{r['optimize_s']:.1f}",
                r["parts"],
                f"{r['bytes_on_disk'] / mib:.1f}",
                f"{r['properties_bytes'] / mib:.1f}",
                f"{r['mat_bytes'] / mib:.1f}",
            ]
        )
    load_table = md_table(
        [
            "layout",
            "load s",
            "events/s",
            "OPTIMIZE FINAL s",
            "parts",
            "on disk MiB",
            "properties col MiB",
            "mat cols MiB",
        ],
        load_rows,
    )
    loaded = [k for k, r in results.items() if "queries" in r]
    query_rows, mismatches = [], []
    for name in QUERIES:
        cells = [
            f"{results[k]['queries'][name]['median_ms']:.0f}" if k in loaded else "–"
            for k in results
        ]
        query_rows.append([name, *cells])
        first = results[loaded[0]]["queries"][name]["result"] if loaded else None
        for k in loaded[1:]:
            if not same_results(first, results[k]["queries"][name]["result"]):
                mismatches.append(f"{name}: {loaded[0]} vs {k}")
    query_table = md_table(["query (median ms)", *results], query_rows)
    check = "Query results identical across layouts: " + (
        "yes" if not mismatches else "NO: " + "; ".join(mismatches)
    )
    capture = orjson_roundtrip()
    rt_rows = [
        [name, *[results[k].get("roundtrip", {}).get(name, "–") for k in results], capture[name]]
        for name in TRICKY
    ]
    rt_table = md_table(["round-trip case", *results, "orjson loads+dumps (capture path)"], rt_rows)
    method = (
        f"{n:,} events (90 days, sorted by time), {args.chunk_rows:,} rows per INSERT, "
        f"queries: median of {runs} runs after 1 warm-up. Generation took {gen_s:.1f} s."
    )
    report(
        "properties_storage",
        "Properties storage in chDB",
        [method, load_table, query_table, check, rt_table],
        {
            "events": n,
            "runs": runs,
            "chunk_rows": args.chunk_rows,
            "layouts": results,
            "orjson_roundtrip": capture,
            "mismatches": mismatches,
        },
    )


if __name__ == "__main__":
    main()
