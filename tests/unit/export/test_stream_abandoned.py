"""A stream given up half-way (a client that went away) leaves the store usable."""

from __future__ import annotations

from pathlib import Path

from hedgerow.store.chdb import ChdbEventStore


def test_abandoned_stream_leaves_the_store_usable(tmp_path: Path) -> None:
    store = ChdbEventStore(tmp_path / "events.chdb")
    try:
        blocks = store.stream(
            "SELECT number FROM numbers(5000000)", output="CSV", settings={"max_block_size": 1000}
        )
        assert next(blocks).startswith(b"0\n1\n")
        blocks.close()
        assert store.query("SELECT 41 + 1").rows == [[42]]
        whole = b"".join(store.stream("SELECT number FROM numbers(3)", output="CSV"))
        assert whole == b"0\n1\n2\n"
    finally:
        store.close()
