"""The person store's caches stay near their bound instead of emptying at it: memory stays
level and the recently seen persons stay warm (the soak's memory sawtooth, issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hedgerow.persons import sqlite as sqlite_store
from hedgerow.persons.bounded import trim_oldest
from hedgerow.persons.sqlite import SqlitePersonStore

T = "2026-01-01 00:00:00.000000"


def test_trim_drops_the_oldest_down_to_nine_tenths() -> None:
    entries = {n: str(n) for n in range(100)}
    assert trim_oldest(entries, 100) == 0 and len(entries) == 100
    entries[100] = "100"
    assert trim_oldest(entries, 100) == 11
    assert list(entries) == list(range(11, 101))


def test_the_person_cache_keeps_the_newest_persons_past_its_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_store, "CACHE_SIZE", 20)
    store = SqlitePersonStore(tmp_path / "persons.sqlite3")
    try:
        for batch in range(5):
            with store.transaction():
                for n in range(6):
                    store.create(1, f"user-{batch}-{n}", properties={}, created_at=T)
        cached = store._cache
        assert 18 <= len(cached) <= 20  # level at the bound, never emptied
        assert (1, "user-4-5") in cached and (1, "user-0-0") not in cached
        assert store._indexes.cached(next(iter(cached.values())).id) is not None
    finally:
        store.close()
