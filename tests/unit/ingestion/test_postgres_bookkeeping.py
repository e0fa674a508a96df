"""The bookkeeping several ingestion workers share in PostgreSQL (a real server): two workers
(two `PostgresBookkeeping`s on one database) add up their counts and warnings, and the event
buffer's held events belong to their partitions: a worker takes the due events of the
partitions it holds only, oldest first, and an event taken a second time (its batch failed,
or its worker died before letting go of it) says so."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from hedgerow.ingestion.bookkeeping import Buffered
from hedgerow.ingestion.pipeline import Warning
from hedgerow.ingestion.postgres_bookkeeping import PostgresBookkeeping, adopt_local_buffer
from hedgerow.ingestion.state import IngestionState
from hedgerow.intake.partitions import partition_of

NOW = 1_800_000_000.0


@pytest.fixture()
def two(postgres_url: str) -> Iterator[tuple[PostgresBookkeeping, PostgresBookkeeping]]:
    workers = (PostgresBookkeeping(postgres_url), PostgresBookkeeping(postgres_url))
    yield workers
    for worker in workers:
        worker.close()


def _held(uuid: str, distinct_id: str, release_at: float, partition: int) -> Buffered:
    return Buffered(1, uuid, distinct_id, release_at, f'{{"uuid":"{uuid}"}}'.encode(), partition)


def test_counts_and_warnings_of_two_workers_add_up(
    two: tuple[PostgresBookkeeping, PostgresBookkeeping],
) -> None:
    a, b = two
    a.record_batch(
        Counter({(1, "received", ""): 5, (1, "stored", ""): 4, (1, "discarded", "x"): 1}),
        [Warning(1, "x", "u1", {"distinct_id": "ada"})],
    )
    b.record_batch(
        Counter({(1, "received", ""): 3, (1, "stored", ""): 3, (2, "received", ""): 7}),
        [Warning(1, "event_name_truncated", "u2", {"length": 250}), Warning(1, "x", "u3", {})],
    )
    for reader in two:
        assert reader.outcomes(1) == {"received": 8, "stored": 7, "discarded": {"x": 1}}
        assert reader.outcomes(2)["received"] == 7
        assert sorted((t, n) for t, n, _ in reader.warning_totals(1)) == [
            ("event_name_truncated", 1),
            ("x", 2),
        ]
        assert [w["event_uuid"] for w in reader.warnings(1, 10, 0)] == ["u3", "u2", "u1"]
        assert [w["event_uuid"] for w in reader.warnings(1, 10, 0, "x")] == ["u3", "u1"]
        assert sum(n for _, _, n in reader.warning_buckets(1, 0, 900)) == 3
    assert a.erase(1, ["ada"], ["u3"]) == 0  # the warnings naming them go
    assert [w["event_uuid"] for w in b.warnings(1, 10, 0)] == ["u2"]


def test_held_events_belong_to_their_partitions(
    two: tuple[PostgresBookkeeping, PostgresBookkeeping],
) -> None:
    a, b = two
    a.record_batch(
        Counter(),
        [],
        buffered=[
            _held("late", "alice", NOW + 5, partition=1),
            _held("early", "alice", NOW + 1, partition=1),
            _held("other", "bob", NOW + 1, partition=2),
            _held("future", "carol", NOW + 100, partition=1),
        ],
    )
    a.record_batch(Counter(), [], buffered=[_held("early", "alice", NOW + 1, 1)])  # read again
    assert a.held_already([(1, "early"), (1, "nope"), (2, "early")]) == {(1, "early")}
    assert a.buffer_index({1}) == {(1, "alice"): (2, NOW + 5), (1, "carol"): (1, NOW + 100)}
    assert b.buffer_index({2}) == {(1, "bob"): (1, NOW + 1)}
    assert a.buffer_status(1)[0] == 4 and a.buffer_status(1)[2] == NOW + 1

    due = a.due(NOW + 10, 10, partitions={1})  # partition 2 is another worker's
    assert [(r.record, r.again) for r in due] == [
        (b'{"uuid":"early"}', False),
        (b'{"uuid":"late"}', False),
    ]
    assert a.due(NOW + 10, 10, [due[0].id], partitions={1}) == [due[1]._replace(again=True)]
    # The worker holding partition 1 died before letting go: its next owner takes both, and
    # they may be stored already.
    again = b.due(NOW + 10, 10, partitions={1, 2})
    assert [(r.record, r.again) for r in again] == [
        (b'{"uuid":"early"}', True),
        (b'{"uuid":"other"}', False),
        (b'{"uuid":"late"}', True),
    ]
    assert a.due(NOW + 10, 10, partitions=set()) == []
    b.record_batch(Counter(), [], released=[r.id for r in again])
    assert a.buffer_index() == {(1, "carol"): (1, NOW + 100)}
    assert b.erase(1, ["carol"]) == 1
    assert a.buffer_status(1) == (0, None, None)


def test_events_held_by_an_earlier_version_move_into_the_shared_buffer(
    two: tuple[PostgresBookkeeping, PostgresBookkeeping], tmp_path: Path
) -> None:
    """A worker of an earlier version held events back in its `ingestion.sqlite3`: at start
    they move into the shared buffer, under the partition of their distinct id."""
    shared, _ = two
    state = IngestionState(tmp_path / "ingestion.sqlite3")
    state.finish_batch([], Counter(), [], buffered=[_held("old", "dan", NOW + 1, 0)])
    assert adopt_local_buffer(state, shared, 12) == 1
    assert state.buffered_events() == []
    assert adopt_local_buffer(state, shared, 12) == 0
    partition = partition_of(1, "dan", 12)
    assert partition != 0  # what the local file's events are read as
    assert shared.buffer_index({partition}) == {(1, "dan"): (1, NOW + 1)}
    assert [r.record for r in shared.due(NOW + 1, 10, partitions={partition})] == [
        b'{"uuid":"old"}'
    ]
    state.close()
