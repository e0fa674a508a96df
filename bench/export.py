"""Export benchmark: the events of a data directory to a file, rows per second and peak
resident memory, and which side should write each format (ClickHouse's output formats, or
rows converted in Python).

    python bench/export.py --data-dir DIR [--format parquet] [--compare]

`--data-dir` is COPIED to a temporary directory first (the source is never written; the
10M dataset is /work/bench-data/events-10m). Every measurement runs in a subprocess of its
own, so each peak resident size (ru_maxrss) is that run's alone."""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from hedgerow.export.files import export_to_file
from hedgerow.export.formats import BLOCK_ROWS
from hedgerow.export.source import ExportSource, counted_source
from hedgerow.query.core import QueryEnv
from hedgerow.store.chdb import ChdbEventStore

MODES = ("clickhouse", "python")


def _python_rows(store: ChdbEventStore, source: ExportSource) -> Iterator[list[list[Any]]]:
    """Blocks of rows as Python lists (what a Python-side writer starts from)."""
    settings = {**source.settings, "max_block_size": BLOCK_ROWS}
    for block in store.stream(
        source.sql, source.params, output="JSONCompactEachRow", settings=settings
    ):
        yield [orjson.loads(line) for line in block.splitlines()]


def _python_export(store: ChdbEventStore, source: ExportSource, fmt: str, out: Path) -> None:
    with out.open("wb") as file:
        if fmt == "csv":
            text = io.TextIOWrapper(file, encoding="utf-8", newline="")
            writer = csv.writer(text, lineterminator="\n")
            writer.writerow(source.columns)
            for rows in _python_rows(store, source):
                writer.writerows(rows)
            text.flush()
            text.detach()
        elif fmt == "jsonl":
            for rows in _python_rows(store, source):
                for row in rows:
                    record = dict(zip(source.columns, row, strict=True))
                    for key in ("properties", "person_properties"):
                        record[key] = orjson.Fragment(record[key])
                    file.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
        else:
            schema = pa.schema([(c, pa.string()) for c in source.columns])
            with pq.ParquetWriter(file, schema, compression="zstd") as parquet:
                for rows in _python_rows(store, source):
                    columns = list(zip(*rows, strict=True))
                    parquet.write_table(
                        pa.table(dict(zip(source.columns, columns, strict=True)), schema)
                    )


def run_one(data: Path, fmt: str, mode: str, out: Path) -> dict[str, Any]:
    store = ChdbEventStore(data / "events.chdb")
    team = int(store.query("SELECT team_id FROM hedgerow.events LIMIT 1").rows[0][0])
    source, rows = counted_source(QueryEnv(store, team), {"kind": "EventsQuery"}, 10**10)
    start = time.perf_counter()
    if mode == "clickhouse":
        export_to_file(store, source, fmt, out)  # type: ignore[arg-type]
    else:
        _python_export(store, source, fmt, out)
    seconds = time.perf_counter() - start
    store.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "format": fmt,
        "mode": mode,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_second": round(rows / seconds),
        "peak_rss_mib": round(peak),
        "file_mib": round(out.stat().st_size / 1024**2, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="parquet")
    parser.add_argument("--compare", action="store_true", help="Both modes, every format.")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)  # DATA FORMAT MODE
    args = parser.parse_args()
    if args.child:
        data, fmt, mode = args.child
        with tempfile.TemporaryDirectory() as out:
            print(json.dumps(run_one(Path(data), fmt, mode, Path(out) / f"out.{fmt}")))
        return
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "data"
        shutil.copytree(args.data_dir, copy, symlinks=True)  # chDB links are relative
        runs = [(f, m) for f in ("csv", "jsonl", "parquet") for m in MODES]
        for fmt, mode in runs if args.compare else [(args.format, "clickhouse")]:
            command = [sys.executable, __file__, "--data-dir", str(copy), "--child"]
            done = subprocess.run([*command, str(copy), fmt, mode], capture_output=True, text=True)
            if done.returncode:
                print(done.stderr[-2000:], file=sys.stderr)
                continue
            print(done.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
