"""Searching the person store: values written inside JSON with escapes, non-ASCII text,
wildcards taken literally, and one project's persons only."""

from __future__ import annotations

from hedgerow.persons.search import like_pattern
from hedgerow.persons.store import PersonStore

PEOPLE = {
    "quote": {"title": 'the "best" one', "path": "C:\\temp"},
    "accent": {"city": "Zürich", "tags": ["beta", 42]},
    "plain": {"email": "Plain@Example.com"},
}


def _fill(store: PersonStore) -> None:
    with store.transaction():
        for n, (distinct_id, properties) in enumerate(PEOPLE.items()):
            store.create(1, distinct_id, properties=properties, created_at=f"2026-01-0{n + 1}")
        store.create(2, "other", properties={"email": "plain@example.com"}, created_at="2026")


def _found(store: PersonStore, term: str, team: int = 1) -> list[str]:
    return [store.distinct_ids(team, p.id)[0] for p in store.recent(team, 10, 0, term)]


def test_values_with_json_escapes_and_accents_are_found(store: PersonStore) -> None:
    _fill(store)
    assert _found(store, '"best"') == ["quote"]
    assert _found(store, "c:\\TEMP") == ["quote"]
    assert _found(store, "zürich") == ["accent"]
    assert _found(store, "42") == ["accent"]  # a number inside a list
    assert _found(store, "tags") == []
    assert _found(store, "") == ["plain", "accent", "quote"]


def test_search_stays_in_its_project(store: PersonStore) -> None:
    _fill(store)
    assert _found(store, "example.com") == ["plain"]
    assert _found(store, "example.com", team=2) == ["other"]
    assert _found(store, "zürich", team=2) == []


def test_like_wildcards_are_literal() -> None:
    assert like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"
