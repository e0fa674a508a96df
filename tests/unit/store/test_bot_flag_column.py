"""The bot flag `$virt_is_bot` as a materialized column: the same text as the JSON gives
for every event (true, false, a string, nested in another property, absent), given to a
store from before it by the store upgrades (without rewriting its events), and read by the
web queries instead of the events' JSON."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from hedgerow.event import IngestEvent
from hedgerow.persons.sqlite import SqlitePersonStore
from hedgerow.query.core import QueryEnv
from hedgerow.query.web_overview import run_web_overview_query
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DATABASE, quote_string, text_form_expression
from hedgerow.store.upgrades import upgrade_stores

COLUMN = "`mat_$virt_is_bot`"
FLAGS: list[dict[str, Any]] = [
    {"$virt_is_bot": True},
    {"$virt_is_bot": True},
    {"$virt_is_bot": False},
    {"$virt_is_bot": "true"},
    {"$set": {"$virt_is_bot": True}},  # the name, but not a property of the event
    {"$virt_is_bot": None},
    {},
]
BOTS = 3  # true twice, and the text "true"
QUERY = {
    "kind": "WebOverviewQuery",
    "dateRange": {"date_from": "2026-03-02", "date_to": "2026-03-02"},
    "compareFilter": {"compare": False},
}


def _events() -> list[IngestEvent]:
    """One page view per flag, each its own session and person, on 2026-03-02."""
    return [
        IngestEvent(
            1,
            str(uuid.uuid4()),
            "$pageview",
            f"visitor-{n}",
            {**flags, "$session_id": f"s{n}", "$pathname": "/", "$host": "www.site.io"},
            f"2026-03-02 12:00:{n:02d}.000000",
            "2026-03-03 00:00:00.000000",
            person_id=str(uuid.UUID(int=n + 1)),
            person_idx=n + 1,
        )
        for n, flags in enumerate(FLAGS)
    ]


def _differing(store: ChdbEventStore) -> int:
    """Events whose column is not the text form the JSON gives."""
    json_text = text_form_expression("properties", quote_string("$virt_is_bot"))
    found = store.run(f"SELECT countIf({COLUMN} != {json_text}) FROM {DATABASE}.events").rows
    return int(found[0][0])


def _visitors(store: ChdbEventStore) -> int:
    """The visitors tile, with every statement the query ran checked not to read `properties`."""
    seen: list[str] = []
    original = store.query

    def spy(sql: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(sql)
        return original(sql, *args, **kwargs)

    store.query = spy  # type: ignore[method-assign]
    try:
        answer = run_web_overview_query(QueryEnv(store, 1, "UTC"), QUERY)
    finally:
        del store.query
    assert [sql for sql in seen if "properties" in sql] == []
    return int(answer["results"][0]["value"])


def test_the_column_holds_the_flag_and_the_web_queries_read_it(tmp_path: Path) -> None:
    store = ChdbEventStore(tmp_path / "events.chdb")
    try:
        assert "$virt_is_bot" in store.materialized_columns()
        store.insert(_events(), "flags")
        store.flush_sessions()
        assert _differing(store) == 0
        bots = store.run(f"SELECT countIf({COLUMN} = 'true') FROM {DATABASE}.events").rows
        assert int(bots[0][0]) == BOTS
        assert _visitors(store) == len(FLAGS) - BOTS
    finally:
        store.close()


def test_a_store_from_before_the_column_gets_it_at_start(tmp_path: Path) -> None:
    path = tmp_path / "events.chdb"
    store = ChdbEventStore(path)
    try:
        store.insert(_events(), "flags")
        store.flush_sessions()
        store.run(  # as a store from before the column
            f"ALTER TABLE {DATABASE}.events DROP COLUMN {COLUMN} SETTINGS mutations_sync = 2"
        )
    finally:
        store.close()
    store = ChdbEventStore(path)
    persons = SqlitePersonStore(tmp_path / "persons.sqlite3")
    try:
        assert "$virt_is_bot" not in store.materialized_columns()
        upgrade_stores(persons, store)
        assert "$virt_is_bot" in store.materialized_columns()
        assert _differing(store) == 0  # computed when read, until the mutation wrote it
        assert _visitors(store) == len(FLAGS) - BOTS
        assert store.add_materialized_columns(["$virt_is_bot"]) == []  # once
    finally:
        persons.close()
        store.close()
