"""Partitions of the JetStream intake: a stable hash of project and distinct id, requests
split by it, and the workers' shares."""

from __future__ import annotations

import orjson

from hedgerow.intake.leases import share
from hedgerow.intake.partitions import partition_of, split_payload


def test_a_distinct_id_has_the_same_partition_in_every_process() -> None:
    # crc32("<project>\0<distinct id>") mod P (docs/deploy.md), not Python's hash(): values
    # worked out once, by hand, with zlib.
    assert [partition_of(1, d, 12) for d in ("alice", "bob", "anon-1", "user-1")] == [2, 1, 7, 1]
    assert all(0 <= partition_of(1, f"d{n}", 5) < 5 for n in range(100))


def test_a_request_is_split_by_partition_and_kept_whole_when_it_is_one() -> None:
    records = [{"uuid": str(n), "distinct_id": d} for n, d in enumerate(["bob", "alice", "user-1"])]
    parts = split_payload(1, 3, orjson.dumps(records), 12)
    assert {p: (n, orjson.loads(body)) for p, (n, body) in parts.items()} == {
        1: (2, [records[0], records[2]]),  # bob and user-1, in the request's order
        2: (1, [records[1]]),
    }
    alone = orjson.dumps([records[1], records[1]])
    assert split_payload(1, 2, alone, 12) == {2: (2, alone)}  # the same bytes: no re-encoding


def test_the_live_workers_share_every_partition_once() -> None:
    workers = ["b", "a", "c"]
    shares = {w: share([o for o in workers if o != w], w, 12) for w in workers}
    assert shares == {"a": {0, 3, 6, 9}, "b": {1, 4, 7, 10}, "c": {2, 5, 8, 11}}
    assert share([], "alone", 12) == set(range(12))
