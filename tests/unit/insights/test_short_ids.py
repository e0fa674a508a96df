"""Short ids: 8 letters and digits, unique in a project (a taken one is drawn again), free
to repeat across projects; on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from hedgerow.app_tables.connection import AppTables, Conflict
from hedgerow.insights import store as store_module
from hedgerow.insights.schema import SavedDb
from hedgerow.insights.store import InsightStore, new_short_id

QUERY = {"kind": "TrendsQuery", "series": [{"event": "$pageview"}]}


@pytest.fixture()
def insights(app_tables: AppTables) -> Iterator[InsightStore]:
    db = SavedDb(app_tables)
    yield InsightStore(db)
    db.close()


def test_a_short_id_is_eight_letters_and_digits() -> None:
    drawn = {new_short_id() for _ in range(1000)}
    assert all(re.fullmatch(r"[A-Za-z0-9]{8}", s) for s in drawn) and len(drawn) == 1000


def test_a_taken_short_id_is_drawn_again(
    insights: InsightStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = iter(["AAAAAAAA", "AAAAAAAA", "AAAAAAAA", "BBBBBBBB"])
    monkeypatch.setattr(store_module, "new_short_id", lambda: next(drawn))
    first = insights.create(1, "one", "", QUERY, None)
    elsewhere = insights.create(2, "other project", "", QUERY, None)
    second = insights.create(1, "two", "", QUERY, None)
    assert (first.short_id, elsewhere.short_id, second.short_id) == (
        "AAAAAAAA",
        "AAAAAAAA",
        "BBBBBBBB",
    )


def test_drawing_gives_up_after_a_few_tries(
    insights: InsightStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "new_short_id", lambda: "AAAAAAAA")
    insights.create(1, "one", "", QUERY, None)
    with pytest.raises(Conflict):
        insights.create(1, "two", "", QUERY, None)
