"""A fresh embedded person store for each test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hedgerow.persons.sqlite import SqlitePersonStore


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[SqlitePersonStore]:
    instance = SqlitePersonStore(tmp_path / "persons.sqlite3")
    yield instance
    instance.close()
