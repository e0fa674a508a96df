"""Reading an import file row by row: JSON lines, CSV (with a column mapping) or Parquet,
plain or gzip-compressed (JSON lines and CSV), resuming after the first `skip` rows.

Each row comes with its number in the file, for the rejects report: the line for JSON lines
and CSV (the line a CSV record starts on; the header is line 1), the row (from 1) for Parquet.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, cast

import orjson
import pyarrow.parquet as pq

from hedgerow.imports.rows import Rejection

ImportFormat = Literal["jsonl", "csv", "parquet"]
IMPORT_FORMATS: tuple[ImportFormat, ...] = ("jsonl", "csv", "parquet")
_EXTENSIONS: dict[str, ImportFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
# The fields a row may have (`person_id`, `person_properties`, `_inserted_at` and any other
# column of a batch export are read past: the pipeline makes persons from the events).
FIELDS = (
    "uuid",
    "event",
    "distinct_id",
    "timestamp",
    "properties",
    "set",
    "set_once",
    "elements_chain",
    "created_at",
)
# Columns of a batch export (and of `hedgerow export`) read past without a word.
PASSED_OVER = frozenset({"person_id", "person_properties", "_inserted_at", "team_id"})
NESTED_FIELDS = ("properties", "set", "set_once")  # `properties.NAME` maps to one property
PARQUET_BATCH_ROWS = 8_192
Row = tuple[int, dict[str, Any] | Rejection]


class FormatUnknown(ValueError):
    pass


def detect_format(path: Path) -> ImportFormat:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    fmt = _EXTENSIONS.get(suffixes[-1]) if suffixes else None
    if fmt is None:
        raise FormatUnknown(
            f"{path}: cannot tell the format from the name; give --format jsonl, csv or parquet."
        )
    return fmt


def _open(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def count_rows(path: Path, fmt: ImportFormat) -> int | None:
    """The rows in the file, for the progress bar: exact for Parquet and JSON lines, lines
    less the header for CSV (a quoted newline counts once more); None for compressed files."""
    if fmt == "parquet":
        return int(pq.ParquetFile(path).metadata.num_rows)
    if path.suffix.lower() == ".gz":
        return None
    lines, last = 0, b"\n"
    with path.open("rb") as data:
        while chunk := data.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    lines += last != b"\n"
    return max(0, lines - 1) if fmt == "csv" else lines


def parse_mapping(pairs: Mapping[str, str]) -> dict[str, str]:
    """Check a CSV column mapping (column -> field); raises ValueError naming a bad field."""
    for column, target in pairs.items():
        base, _, name = target.partition(".")
        if (name and base not in NESTED_FIELDS) or (not name and target not in FIELDS):
            raise ValueError(
                f"--map {column}={target}: the field must be one of {', '.join(FIELDS)}, or "
                "properties.NAME, set.NAME or set_once.NAME"
            )
    return dict(pairs)


@dataclass
class RowReader:
    path: Path
    fmt: ImportFormat
    mapping: dict[str, str] = field(default_factory=dict)
    ignored_columns: list[str] = field(default_factory=list)  # CSV columns read past

    @property
    def unit(self) -> str:
        """What a row's number counts in the rejects report."""
        return "row" if self.fmt == "parquet" else "line"

    def rows(self, skip: int = 0) -> Iterator[Row]:
        """Every row after the first `skip` (rejected ones count as rows)."""
        if self.fmt == "parquet":
            return self._parquet(skip)
        if self.fmt == "csv":
            return self._csv(skip)
        return self._jsonl(skip)

    def _jsonl(self, skip: int) -> Iterator[Row]:
        seen = 0
        with _open(self.path) as data:
            for number, line in enumerate(data, 1):
                if not line.strip():
                    continue
                seen += 1
                if seen <= skip:
                    continue
                try:
                    value = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    yield number, Rejection("invalid_json", f"The line is not JSON: {exc}.")
                    continue
                if not isinstance(value, dict):
                    yield number, Rejection("invalid_json", "The line is not a JSON object.")
                    continue
                yield number, value

    def _csv(self, skip: int) -> Iterator[Row]:
        with _open(self.path) as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="replace", newline="")
            reader = csv.reader(text)
            header = next(reader, None)
            if header is None:
                return
            targets = [self._target(column) for column in header]
            self.ignored_columns = [
                column
                for column, target in zip(header, targets, strict=True)
                if target is None and column not in PASSED_OVER
            ]
            seen = 0
            start = reader.line_num + 1
            for values in reader:
                number, start = start, reader.line_num + 1
                if not values:
                    continue
                seen += 1
                if seen <= skip:
                    continue
                if len(values) != len(header):
                    yield (
                        number,
                        Rejection(
                            "invalid_csv_row",
                            f"The row has {len(values)} values; the header has {len(header)}.",
                        ),
                    )
                    continue
                yield number, _mapped(targets, values)

    def _target(self, column: str) -> str | None:
        if column in self.mapping:
            return self.mapping[column]
        return column if column in FIELDS else None

    def _parquet(self, skip: int) -> Iterator[Row]:
        parquet = pq.ParquetFile(self.path)
        columns = [name for name in parquet.schema_arrow.names if name in FIELDS]
        metadata = parquet.metadata
        first_group, before = 0, 0
        while first_group < metadata.num_row_groups:
            rows = metadata.row_group(first_group).num_rows
            if before + rows > skip:
                break
            before += rows
            first_group += 1
        groups = list(range(first_group, metadata.num_row_groups))
        number = before
        drop = skip - before
        if not groups:
            return
        for batch in parquet.iter_batches(PARQUET_BATCH_ROWS, row_groups=groups, columns=columns):
            for row in batch.to_pylist():
                number += 1
                if drop > 0:
                    drop -= 1
                    continue
                yield number, row


def _mapped(targets: list[str | None], values: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for target, value in zip(targets, values, strict=True):
        if target is None or value == "":
            continue
        base, _, name = target.partition(".")
        if name:
            nested = row.setdefault(f"{base}.", {})
            nested[name] = value
        else:
            row[target] = value
    for base in NESTED_FIELDS:  # single mapped values go over the column's JSON object
        nested = row.pop(f"{base}.", None)
        if nested is not None:
            whole = row.get(base)
            if isinstance(whole, str):
                try:
                    whole = orjson.loads(whole)
                except orjson.JSONDecodeError:
                    continue  # `to_record` rejects the invalid JSON column
            row[base] = {**whole, **nested} if isinstance(whole, dict) else nested
    return row
