"""An events export read in time windows (one query per few hours): every event of the
filters exactly once, oldest first (time, then uuid) across the windows, in each format;
an hour with more events than a window holds is a window of its own."""

from __future__ import annotations

import csv
import io
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hedgerow.event import IngestEvent
from hedgerow.export import source as export_source
from hedgerow.export.formats import export_bytes
from hedgerow.export.source import counted_source
from hedgerow.query.core import QueryEnv
from hedgerow.store.chdb import ChdbEventStore

START = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


def _events(count: int) -> list[IngestEvent]:
    """Spread over 30 hours of two days, unevenly (hour 5 is busy), in a shuffled order."""
    rng = random.Random(7)
    events = []
    for n in range(count):
        hour = 5 if n % 3 == 0 else rng.randrange(30)
        moment = START + timedelta(hours=hour, seconds=rng.randrange(3600))
        events.append(
            IngestEvent(
                team_id=1,
                uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                event="seen" if n % 4 else "bought",
                distinct_id=f"d{n % 17}",
                properties={"n": n},
                timestamp=f"{moment:%Y-%m-%d %H:%M:%S}.{n % 1000:06d}",
                now=f"{START:%Y-%m-%d %H:%M:%S}.000000",
            )
        )
    rng.shuffle(events)
    return events


def _keys(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(timestamp, event_uuid) for timestamp, event_uuid in rows]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "parquet"])
def test_windows_keep_every_event_once_in_order(
    tmp_path: Path, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_source, "WINDOW_ROWS", 40)
    sent = _events(600)
    store = ChdbEventStore(tmp_path / "events.chdb")
    try:
        store.insert(sent, "windows")
        query = {"kind": "EventsQuery", "event": "seen"}
        source, rows = counted_source(QueryEnv(store, 1), query, 10_000)
        data = b"".join(export_bytes(store, source, fmt))  # type: ignore[arg-type]
    finally:
        store.close()
    kept = [e for e in sent if e.event == "seen"]
    assert rows == len(kept) == 450
    # Several windows, one of them the busy hour alone (more than a window holds).
    assert len(source.windows) > 5
    busy = int((START + timedelta(hours=5)).timestamp())
    assert (busy, busy + 3600) in source.windows

    if fmt == "csv":
        lines = list(csv.DictReader(io.StringIO(data.decode())))
        got = [(r["timestamp"], r["uuid"]) for r in lines]
    elif fmt == "jsonl":
        lines = [orjson.loads(line) for line in data.splitlines()]
        got = [(r["timestamp"], r["uuid"]) for r in lines]
    else:
        table = pq.read_table(pa.BufferReader(data))
        got = list(zip(table["timestamp"].to_pylist(), table["uuid"].to_pylist(), strict=True))
    expected = sorted(
        (datetime.fromisoformat(e.timestamp).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), e.uuid)
        for e in kept
    )
    assert _keys(got) == expected
