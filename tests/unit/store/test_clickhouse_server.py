"""The event store on a ClickHouse server answers every query kind exactly as the embedded
store does for the same events (the same schema, the same compiled SQL), stores a replayed
batch once, streams exports byte for byte alike, and serves several stores (as several
processes would open it) at once."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from store_kinds import OpenStore

from hedgerow.api.routes import QUERY_RUNNERS
from hedgerow.event import IngestEvent
from hedgerow.persons.store import Override
from hedgerow.query.core import QueryEnv
from hedgerow.query.hogql.run import run_hogql_query
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.clickhouse_server import ClickHouseServerEventStore
from hedgerow.store.schema import DATABASE

PAGES = ["/", "/pricing", "/docs", "/signup", "/blog/a"]
ODD_PATH = "/a\\b'c\td%s{x}"
BROWSERS = ["Chrome", "Firefox", "Safari"]
SERIES = [{"kind": "EventsNode", "event": "$pageview"}]
QUERIES: dict[str, dict[str, Any]] = {
    "EventsQuery": {"select": ["uuid", "event", "distinct_id", "timestamp"], "limit": 500},
    "TrendsQuery": {"series": SERIES, "breakdownFilter": {"breakdown": "$browser"}},
    "FunnelsQuery": {"series": [*SERIES, {"kind": "EventsNode", "event": "signed up"}]},
    "RetentionQuery": {
        "retentionFilter": {"targetEntity": {"id": "$pageview"}, "totalIntervals": 5}
    },
    "LifecycleQuery": {"series": SERIES},
    "StickinessQuery": {"series": SERIES},
    "PathsQuery": {},
    "WebOverviewQuery": {"dateRange": {"date_from": "-7d"}},
    "WebStatsTableQuery": {"breakdownBy": "Page", "dateRange": {"date_from": "-7d"}},
}


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _traffic(seed: int = 17) -> list[list[IngestEvent]]:
    """Page views and sign-ups of 30 users over the last six days, in sessions, in batches
    of 50; every person's properties say their plan."""
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    events: list[IngestEvent] = []
    for user in range(30):
        person_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        plan = {"plan": rng.choice(["free", "pro"])}
        for _ in range(rng.randint(1, 4)):
            at = now - timedelta(days=rng.randint(0, 5), minutes=rng.randint(10, 600))
            session = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            browser = rng.choice(BROWSERS)
            for _ in range(rng.randint(1, 6)):
                at += timedelta(seconds=rng.randint(1, 90))
                page = rng.choice(PAGES)
                name = "signed up" if page == "/signup" and rng.random() < 0.5 else "$pageview"
                properties = {
                    "$session_id": session,
                    "$browser": browser,
                    "$current_url": f"https://example.com{page}",
                    "$pathname": page,
                    "$host": "example.com",
                }
                events.append(
                    IngestEvent(
                        team_id=1,
                        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        event=name,
                        distinct_id=f"user-{user}",
                        properties=properties,
                        timestamp=_stamp(at),
                        now=_stamp(now),
                        person_id=person_id,
                        person_idx=user + 1,
                        person_properties=plan,
                    )
                )
    odd = events[0]  # values that must reach ClickHouse exactly as given
    odd.properties = {**odd.properties, "$pathname": ODD_PATH, "note": "it's \\d+ \t 'x'"}
    return [events[i : i + 50] for i in range(0, len(events), 50)]


@pytest.fixture()
def both(tmp_path: Path, clickhouse_url: str) -> Iterator[tuple[ChdbEventStore, ChdbEventStore]]:
    """The embedded store and the server's, each given the same batches and one merge."""
    stores = (ChdbEventStore(tmp_path / "events.chdb"), ClickHouseServerEventStore(clickhouse_url))
    batches = _traffic()
    merge = Override(1, batches[0][0].person_id, batches[-1][-1].person_id, 1, 1, 30)
    for store in stores:
        for n, batch in enumerate(batches):
            store.insert(batch, f"batch-{n}")
        store.insert_overrides([merge])
        store.flush_sessions()  # as ingestion does once it has caught up
    yield stores
    for store in stores:
        store.close()


@pytest.mark.parametrize("kind", sorted(QUERIES))
def test_each_query_kind_answers_alike(
    both: tuple[ChdbEventStore, ChdbEventStore], kind: str
) -> None:
    embedded, server = (
        QUERY_RUNNERS[kind](QueryEnv(store, 1, "Europe/Berlin"), {"kind": kind, **QUERIES[kind]})
        for store in both
    )
    assert embedded == server
    assert embedded.get("results")  # the traffic gave every kind something to answer


def test_parameters_reach_the_server_as_given(
    both: tuple[ChdbEventStore, ChdbEventStore],
) -> None:
    query = {
        "kind": "EventsQuery",
        "select": ["uuid", "properties.note"],
        "properties": [{"key": "$pathname", "value": ODD_PATH, "operator": "exact"}],
    }
    embedded, server = (QUERY_RUNNERS["EventsQuery"](QueryEnv(store, 1), query) for store in both)
    assert embedded["results"] == server["results"]
    assert [row[1] for row in server["results"]] == ["it's \\d+ \t 'x'"]


def test_hogql_answers_alike(both: tuple[ChdbEventStore, ChdbEventStore]) -> None:
    sql = (
        "SELECT properties.$browser AS browser, count() AS views, uniq(person_id) AS people "
        "FROM events WHERE event = '$pageview' GROUP BY browser ORDER BY browser"
    )
    query = {"kind": "HogQLQuery", "query": sql}
    embedded, server = (run_hogql_query(store, 1, "UTC", query) for store in both)
    assert embedded["results"] == server["results"] and len(server["results"]) == 3


def test_squashing_rewrites_alike(both: tuple[ChdbEventStore, ChdbEventStore]) -> None:
    sql = f"SELECT toString(person_id), count() FROM {DATABASE}.events GROUP BY 1 ORDER BY 1"
    for store in both:
        assert store.squash_overrides() == 1 and store.override_count(1) == 0
    embedded, server = (store.run(sql).rows for store in both)
    assert embedded == server and len(server) == 29  # 30 people, one merged away


def test_exports_stream_alike(both: tuple[ChdbEventStore, ChdbEventStore]) -> None:
    sql = f"SELECT uuid, event, timestamp, properties FROM {DATABASE}.events ORDER BY uuid"
    embedded, server = (b"".join(store.stream(sql, output="CSVWithNames")) for store in both)
    assert server == embedded and server.count(b"\n") == sum(map(len, _traffic())) + 1


def test_a_replayed_batch_is_stored_once(open_store: OpenStore) -> None:
    store = open_store()
    first, second = _traffic()[:2]
    store.insert(first, "batch-a")
    store.insert(first, "batch-a")  # the worker died before recording the batch: replayed
    store.insert(second, "batch-b")
    stored = store.run(f"SELECT toString(uuid) FROM {DATABASE}.events").rows
    assert sorted(row[0] for row in stored) == sorted(e.uuid for e in first + second)
    store.close()


def test_stores_of_several_processes_share_the_server(clickhouse_url: str) -> None:
    """An ingesting store and a querying one opened on the same server (as `hedgerow ingest`
    and `hedgerow web` would): each sees the other's work, and a store opened later (its
    schema steps run again) changes nothing stored."""
    writer = ClickHouseServerEventStore(clickhouse_url)
    reader = ClickHouseServerEventStore(clickhouse_url)
    batches = _traffic()
    writer.insert(batches[0], "batch-0")
    count = f"SELECT count() FROM {DATABASE}.events"
    assert reader.query(count).rows == [[len(batches[0])]]
    assert "note" not in writer.materialized_columns()
    reader.materialize("note")
    writer.insert(batches[1], "batch-1")  # the new column is computed by the server
    later = ClickHouseServerEventStore(clickhouse_url)
    assert later.materialized_columns()["note"] == "mat_note"
    notes = later.query(
        f"SELECT countIf(`mat_note` = JSONExtractString(properties, 'note')) FROM {DATABASE}.events"
    ).rows
    assert notes == [[len(batches[0]) + len(batches[1])]]
    for store in (writer, reader, later):
        store.close()
