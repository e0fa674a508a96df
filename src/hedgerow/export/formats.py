"""The three export formats, each written as the store streams blocks.

CSV: ClickHouse writes each block (`CSV`; the header is written once here). JSON lines:
ClickHouse writes each line of the event columns (`properties` embedded as JSON objects); a
SQL export's rows are converted here (their column names are the query's, not ClickHouse's).
Parquet: ClickHouse hands each block over as Arrow (`ArrowStream`), written by pyarrow as one
row group; ClickHouse's own `Parquet` output makes a whole file per block, which cannot be
joined into one. docs/benchmarks.md compares these with converting rows in Python.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Literal

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from hedgerow.export.source import ExportSource
from hedgerow.store.events import EventStore

ExportFormat = Literal["csv", "jsonl", "parquet"]
FORMATS: tuple[ExportFormat, ...] = ("csv", "jsonl", "parquet")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
OnRows = Callable[[int], None]
NO_STATISTICS = frozenset({"properties", "person_properties", "elements_chain"})
# Rows per block the store hands over (ClickHouse's max_block_size): what sits in memory.
# 65,536 (ClickHouse's default) took ~850 MiB at its peak on events with 400-byte properties,
# 8,192 ~480 MiB; on ten million events 4,096 (with windows of 16,384 events) kept the peak
# at 473 MiB where 8,192 (windows of 32,768) reached 569 (docs/benchmarks.md).
BLOCK_ROWS = 4_096


def export_bytes(
    store: EventStore,
    source: ExportSource,
    fmt: ExportFormat,
    on_rows: OnRows | None = None,
    *,
    block_rows: int = BLOCK_ROWS,
) -> Iterator[bytes]:
    """The file's bytes, a block at a time; `on_rows(n)` after each block of n rows."""
    writer = {"csv": _csv, "jsonl": _jsonl, "parquet": _parquet}[fmt]
    settings = {**source.settings, "max_block_size": block_rows}
    blocks = replace(source, settings=settings)
    return writer(store, blocks, on_rows or (lambda _: None))


def _csv(store: EventStore, source: ExportSource, on_rows: OnRows) -> Iterator[bytes]:
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow(source.columns)
    yield header.getvalue().encode()
    for block in _blocks(store, source, "CSV"):
        on_rows(_lines(block))
        yield block


def _jsonl(store: EventStore, source: ExportSource, on_rows: OnRows) -> Iterator[bytes]:
    if source.events_shape:
        fields = [
            f"'\"{name}\":', "
            + (name if name in ("properties", "person_properties") else f"toJSONString({name})")
            for name in source.columns
        ]
        line = "concat('{', " + ", ',', ".join(fields) + ", '}')"
        lines = source.wrapped(line, ["line"])
        for block in _blocks(store, lines, "TSVRaw"):
            on_rows(_lines(block))
            yield block
        return
    keys = source.columns
    for block in _blocks(store, source, "JSONCompactEachRow"):
        rows = [orjson.loads(line) for line in block.splitlines()]
        on_rows(len(rows))
        yield b"".join(
            orjson.dumps(dict(zip(keys, row, strict=False)), option=orjson.OPT_APPEND_NEWLINE)
            for row in rows
        )


def _parquet(store: EventStore, source: ExportSource, on_rows: OnRows) -> Iterator[bytes]:
    """One row group per block: gathering 65,536 rows per group cost ~80 MiB more at the
    peak on the memory test's events, for a file no smaller. The file's footer keeps every
    row group's statistics until it is written: none for the JSON columns (their min and max
    say nothing, and each can be kilobytes)."""
    sink = _Drain()
    writer: pq.ParquetWriter | None = None
    statistics = [c for c in source.columns if c not in NO_STATISTICS]
    for block in _blocks(store, source, "ArrowStream"):
        table = pa.ipc.open_stream(block).read_all().rename_columns(source.columns)
        if writer is None:
            writer = pq.ParquetWriter(
                sink, table.schema, compression="zstd", write_statistics=statistics
            )
        writer.write_table(table)
        on_rows(table.num_rows)
        yield sink.take()
    if writer is None:  # no rows: a valid file with the columns and no row group
        schema = pa.schema([(name, pa.string()) for name in source.columns])
        writer = pq.ParquetWriter(sink, schema, compression="zstd")
    writer.close()
    yield sink.take()


def _blocks(store: EventStore, source: ExportSource, output: str) -> Iterator[bytes]:
    """The blocks of every query of the source (one, or one per time window), in order."""
    for sql, params in source.queries():
        for block in store.stream(sql, params, output=output, settings=source.settings):
            if block:
                yield block


def _lines(block: bytes) -> int:
    """Rows in a block of CSV or lines: every row ends in a newline, and a newline inside a
    CSV value is quoted; a block's rows are counted for progress only."""
    return block.count(b"\n")


class _Drain(io.RawIOBase):
    """A write-only file whose written bytes are taken away after each row group."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self._parts.append(bytes(data))
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data
