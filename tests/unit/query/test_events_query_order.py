"""An EventsQuery ordered by time reads the events table in its sorting key's order (the
newest or oldest days first, stopping at the limit) instead of reading every row's time and
sorting: the /events page's first page over ten million events depends on it
(docs/benchmarks.md). The rows and their order stay those of `ORDER BY timestamp`."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hedgerow.event import IngestEvent
from hedgerow.query.events_query import run_events_query
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.events import QueryResult

START = datetime(2026, 3, 1, tzinfo=UTC)
NAMES = ["$pageview", "signed_up", "$autocapture"]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbEventStore]:
    """60 events over five days (two months), some sharing a time, in two inserts."""
    events = ChdbEventStore(tmp_path_factory.mktemp("order") / "events.chdb")
    rng = random.Random(3)
    moments = [START + timedelta(days=rng.choice([0, 1, 2, 30, 31]), seconds=rng.randrange(9))]
    moments += [moments[-1]] * 3  # four events at one instant
    while len(moments) < 60:
        moments.append(
            START + timedelta(days=rng.choice([0, 1, 2, 30, 31]), seconds=rng.randrange(86400))
        )
    batch = [
        IngestEvent(
            team_id=1,
            uuid=str(uuid.UUID(int=rng.getrandbits(128))),
            event=rng.choice(NAMES),
            distinct_id=f"user-{n % 7}",
            properties={"n": n},
            timestamp=stamp(moment),
            now=stamp(START + timedelta(days=40)),
        )
        for n, moment in enumerate(moments)
    ]
    events.insert(batch[:30], "first")
    events.insert(batch[30:], "second")
    yield events
    events.close()


class Recording:
    """The store, keeping the statements an EventsQuery runs."""

    def __init__(self, store: ChdbEventStore) -> None:
        self.store = store
        self.statements: list[tuple[str, dict[str, Any], Any]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def query(self, sql: str, params: Any = None, settings: Any = None) -> QueryResult:
        self.statements.append((sql, dict(params or {}), settings))
        return self.store.query(sql, params, settings=settings)


def explain(store: ChdbEventStore, query: dict[str, Any], kind: str) -> list[str]:
    """EXPLAIN (`kind`) of the statement the query runs, with its settings."""
    recording = Recording(store)
    run_events_query(recording, 1, query)  # type: ignore[arg-type]
    sql, params, settings = recording.statements[-1]
    return [row[0] for row in store.query(f"EXPLAIN {kind} {sql}", params, settings=settings).rows]


def read_type(store: ChdbEventStore, query: dict[str, Any]) -> str:
    plan = explain(store, query, "actions = 1")
    return next(line.split("Read type:")[1].strip() for line in plan if "Read type:" in line)


@pytest.mark.parametrize(
    ("order", "expected"),
    [("timestamp DESC", "InReverseOrder"), ("timestamp ASC", "InOrder"), (None, "InReverseOrder")],
)
@pytest.mark.parametrize(
    "conditions",
    [{}, {"event": "signed_up"}, {"before": "2026-03-02T12:00:00Z"}],
)
def test_time_order_reads_in_key_order(
    store: ChdbEventStore, order: str | None, expected: str, conditions: dict[str, Any]
) -> None:
    query: dict[str, Any] = {"kind": "EventsQuery", "select": ["*"], "limit": 5, **conditions}
    if order:
        query["orderBy"] = [order]
    assert read_type(store, query) == expected


def test_no_read_ahead_in_key_order(store: ChdbEventStore) -> None:
    """Each part's stream would otherwise buffer blocks ahead: most of a large table."""
    query = {"kind": "EventsQuery", "select": ["*"], "orderBy": ["timestamp DESC"]}
    pipeline = explain(store, query, "PIPELINE")
    assert any("InReverseOrder" in line for line in pipeline)
    assert not any("BufferChunks" in line for line in pipeline)


def test_other_orders_are_left_alone(store: ChdbEventStore) -> None:
    query = {"kind": "EventsQuery", "select": ["event", "timestamp"], "orderBy": ["event ASC"]}
    assert read_type(store, query) == "Default"


@pytest.mark.parametrize("direction", ["DESC", "ASC"])
def test_pages_list_every_event_in_time_order(store: ChdbEventStore, direction: str) -> None:
    """Pages of 7 following a time cursor (the /events page's way) give every event once,
    in time order: the same as one ORDER BY timestamp over the whole table."""
    everything = store.query(
        f"SELECT toString(uuid), timestamp FROM hedgerow.events ORDER BY timestamp {direction}"
    ).rows
    seen: list[list[Any]] = []
    bound: dict[str, str] = {}
    while True:
        query = {
            "kind": "EventsQuery",
            "select": ["uuid", "timestamp"],
            "orderBy": [f"timestamp {direction}"],
            "limit": 7,
            **bound,
        }
        answer = run_events_query(store, 1, query)
        seen += [row for row in answer["results"] if row not in seen]
        if not answer["hasMore"]:
            break
        last = datetime.fromisoformat(answer["results"][-1][1].replace("Z", "+00:00"))
        step = timedelta(microseconds=1 if direction == "DESC" else -1)
        key = "before" if direction == "DESC" else "after"
        bound = {key: (last + step).isoformat().replace("+00:00", "Z")}
    times = [row[1] for row in seen]
    assert times == sorted(times, reverse=direction == "DESC")
    assert sorted(row[0] for row in seen) == sorted(row[0] for row in everything)
    assert [row[1] for row in everything] == [t.replace("T", " ").rstrip("Z") for t in times]
