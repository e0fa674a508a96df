"""The event store's chDB connections are pooled, not kept per thread: the API's worker
threads come and go, and a connection per thread was never closed when its thread ended, so
the server's memory grew with every new worker thread (the 30-minute soak). With the pool,
the store holds as many connections as statements ever ran at once."""

from __future__ import annotations

import threading
from pathlib import Path

from hedgerow.store.chdb import ChdbEventStore

QUERY = "SELECT number % 10 AS k, count() FROM numbers(10000) GROUP BY k ORDER BY k"


def test_threads_that_come_and_go_reuse_one_connection(tmp_path: Path) -> None:
    store = ChdbEventStore(tmp_path / "events.chdb")
    answers: list[list[list[int]]] = []
    try:
        for _ in range(30):  # one short-lived thread per query, as an idle-pruned pool makes
            thread = threading.Thread(target=lambda: answers.append(store.query(QUERY).rows))
            thread.start()
            thread.join()
        assert len(store._connections) == 1
        assert answers == [[[k, 1000] for k in range(10)]] * 30
    finally:
        store.close()


def test_statements_at_once_get_their_own_connections_then_share_them(tmp_path: Path) -> None:
    store = ChdbEventStore(tmp_path / "events.chdb")
    slow = "SELECT count() FROM numbers(50000000) WHERE sipHash64(number) % 3 = 0"
    try:
        threads = [threading.Thread(target=store.query, args=(slow,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        opened = len(store._connections)
        assert 1 <= opened <= 3
        for _ in range(10):
            assert store.query("SELECT 1").rows == [[1]]
        assert len(store._connections) == opened
    finally:
        store.close()
