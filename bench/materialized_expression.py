"""What a materialized property column costs at insert, by the expression that computes it.

Inserts 200,000 PostHog-like property documents in 5,000-row batches (as ingestion does) into
chDB tables with no materialized columns and with Hedgerow's eleven default ones computed by
(A) `JSONType` first, then `JSONExtractString` or `JSONExtractRaw`, and (B) Hedgerow's
expression: `JSONExtractRaw` once, a string parsed again on its own bytes. Reports the median
microseconds per row over three runs, and checks that A and B store identical values.

    .venv/bin/python bench/materialized_expression.py [--rows N]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import chdb
import orjson
import pyarrow as pa

from common import EventFactory, md_table, median, report
from hedgerow.store.schema import DEFAULT_MATERIALIZED, quote_string, text_form_expression

KEYS = [*DEFAULT_MATERIALIZED, "$session_id", "$window_id"]


def json_type_first(key: str) -> str:
    k = quote_string(key)
    return (
        f"multiIf(JSONType(properties, {k}) = 'String', JSONExtractString(properties, {k}), "
        f"JSONType(properties, {k}) = 'Null', '', JSONExtractRaw(properties, {k}))"
    )


def hedgerow(key: str) -> str:
    return text_form_expression("properties", quote_string(key))


def load(table: pa.Table, expression: object, directory: Path) -> tuple[float, bytes]:
    conn = chdb.connect(str(directory))  # type: ignore[no-untyped-call]
    columns = ""
    if callable(expression):
        columns = "".join(
            f", `m{i}` String MATERIALIZED {expression(key)}" for i, key in enumerate(KEYS)
        )
    conn.query(f"CREATE TABLE t (properties String{columns}) ENGINE = MergeTree ORDER BY ()")
    started = time.perf_counter()
    for start in range(0, table.num_rows, 5000):
        part = table.slice(start, 5000)  # noqa: F841 - read by chDB's Python() table function
        conn.query("INSERT INTO t SELECT properties FROM Python(part)")
    elapsed = time.perf_counter() - started
    select = ", ".join(f"`m{i}`" for i in range(len(KEYS))) if columns else "1"
    values = conn.query(f"SELECT {select} FROM t ORDER BY properties", "CSV").bytes()
    conn.close()
    return elapsed / table.num_rows * 1e6, values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    factory = EventFactory(seed=3)
    documents = [orjson.dumps(factory.properties()).decode() for _ in range(args.rows)]
    table = pa.table({"properties": documents})
    timings: dict[str, list[float]] = {"none": [], "A: JSONType first": [], "B: Hedgerow": []}
    stored: dict[str, bytes] = {}
    for _ in range(3):
        for name, expression in (
            ("none", None),
            ("A: JSONType first", json_type_first),
            ("B: Hedgerow", hedgerow),
        ):
            directory = Path(tempfile.mkdtemp(prefix="matexpr-"))
            try:
                per_row, values = load(table, expression, directory)
            finally:
                shutil.rmtree(directory, ignore_errors=True)
            timings[name].append(per_row)
            stored[name] = values
    identical = stored["A: JSONType first"] == stored["B: Hedgerow"]
    rows = [
        [name, f"{median(values):.1f}", " / ".join(f"{v:.1f}" for v in values)]
        for name, values in timings.items()
    ]
    table_md = md_table(["materialized columns", "µs per row (median)", "runs"], rows)
    note = (
        f"{args.rows:,} rows in 5,000-row inserts, {len(KEYS)} columns; A and B store "
        f"identical values: {'yes' if identical else 'NO'}."
    )
    report(
        "materialized_expression",
        "Materialized column expressions at insert",
        [table_md, note],
        {"timings_us": timings, "identical": identical},
    )


if __name__ == "__main__":
    main()
