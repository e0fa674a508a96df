"""Reading and converting a file's rows in a process of its own, a batch at a time.

The importing process runs the ingestion worker, which needs the interpreter most of the
time; converting rows beside it in the same process made the import run at half the speed
of capture (which decodes big bodies in helper processes). The reader process hands over,
per batch, the intake payload ready to append, its uuids and the rows it rejected.
"""

from __future__ import annotations

import multiprocessing
import queue
from collections.abc import Iterator
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any

import orjson

from hedgerow.imports.readers import RowReader
from hedgerow.imports.rows import Rejected, Rejection, to_record

QUEUED_BATCHES = 4  # batches converted ahead of the appends: bounded memory


@dataclass
class ParsedBatch:
    rows: int  # rows of the file consumed up to the end of this batch (from its start)
    uuids: list[str]
    payload: bytes  # the records, a JSON array: one intake entry
    rejected: list[tuple[int, Rejection]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)  # set on the last batch


def _convert(
    reader: RowReader, skip: int, batch_rows: int, imported_at: str, out: Queue[Any]
) -> None:
    try:
        position = skip
        records: list[dict[str, Any]] = []
        rejected: list[tuple[int, Rejection]] = []
        for number, row in reader.rows(skip):
            position += 1
            try:
                if isinstance(row, Rejection):
                    raise Rejected(row.reason, row.message)
                records.append(to_record(row, imported_at))
            except Rejected as exc:
                rejected.append((number, exc.rejection))
            if len(records) >= batch_rows:
                out.put(_batch(position, records, rejected))
                records, rejected = [], []
        last = _batch(position, records, rejected)
        last.ignored_columns = reader.ignored_columns
        out.put(last)
        out.put(None)
    except BaseException as exc:  # handed over, raised in the importing process
        out.put(f"{type(exc).__name__}: {exc}")


def _batch(
    position: int, records: list[dict[str, Any]], rejected: list[tuple[int, Rejection]]
) -> ParsedBatch:
    uuids = [record["uuid"] for record in records]
    return ParsedBatch(position, uuids, orjson.dumps(records), rejected)


def parsed_batches(
    reader: RowReader, skip: int, batch_rows: int, imported_at: str
) -> Iterator[ParsedBatch]:
    """The file's batches after its first `skip` rows, in order (the last one may hold no
    records); raises RuntimeError when the reader process fails."""
    context = multiprocessing.get_context("spawn")  # never a fork of the stores' threads
    out: Queue[Any] = context.Queue(QUEUED_BATCHES)
    process = context.Process(
        target=_convert, args=(reader, skip, batch_rows, imported_at, out), daemon=True
    )
    process.start()
    try:
        while True:
            try:
                item = out.get(timeout=1.0)
            except queue.Empty:
                if not process.is_alive():
                    raise RuntimeError(
                        f"reading {reader.path} stopped (exit code {process.exitcode})"
                    ) from None
                continue
            if item is None:
                break
            if isinstance(item, str):
                raise RuntimeError(f"reading {reader.path} failed: {item}")
            yield item
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
