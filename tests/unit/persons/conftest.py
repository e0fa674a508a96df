"""A fresh person store for each test: each test runs on the embedded store (SQLite) and on
the scale-out one (PostgreSQL, a throwaway cluster of the run, an empty database per test)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hedgerow.persons.sqlite import SqlitePersonStore
from hedgerow.persons.store import PersonStore


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[PersonStore]:
    instance: PersonStore
    if request.param == "sqlite":
        instance = SqlitePersonStore(tmp_path / "persons.sqlite3")
    else:
        from hedgerow.persons.postgres import PostgresPersonStore

        instance = PostgresPersonStore(request.getfixturevalue("postgres_url"))
    yield instance
    instance.close()
