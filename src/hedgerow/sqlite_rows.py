"""Many rows into SQLite in one statement.

`executemany` hands SQLite one row at a time and takes the GIL back after each. While other
threads of the server run Python (the event store's insert, capture), every one of those
hand-backs can wait for them, so a batch's writes took several times their own CPU time:
the person store's writes for one million events went from 10.6 s to 4.8 s this way
(docs/benchmarks.md). Here the rows travel as one JSON array parameter and SQLite walks it
with `json_each`, releasing the GIL once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

import orjson


def insert_rows(
    conn: sqlite3.Connection, insert: str, rows: Sequence[Sequence[Any]], tail: str = ""
) -> None:
    """Run `insert` (an INSERT up to its column list) for every row, then `tail` (an
    ON CONFLICT clause, say). Values must be JSON types: text, integers, floats, null."""
    if not rows:
        return
    columns = ", ".join(f"value ->> {i}" for i in range(len(rows[0])))
    conn.execute(
        f"{insert} SELECT {columns} FROM json_each(?) WHERE true {tail}",
        (orjson.dumps(rows).decode(),),
    )
