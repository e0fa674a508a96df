"""Each of PostHog's identity rules, on both real person stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest

from hedgerow.persons.identity import Refusal, is_illegal_id, other_id, unite
from hedgerow.persons.ids import person_uuid
from hedgerow.persons.store import Override, PersonStore

T = "2026-01-01 00:00:00.000000"


def _person(store: PersonStore, distinct_id: str, created: str = T, **props: object) -> str:
    with store.transaction():
        return store.create(1, distinct_id, properties=dict(props), created_at=created).id


def _unite(store: PersonStore, mine: str, other: str, dangerous: bool = False) -> Refusal | None:
    with store.transaction():
        return unite(store, 1, mine, other, dangerous=dangerous, created_at=T).refusal


def _overrides(store: PersonStore) -> list[Override]:
    return [o for _, o in store.pending_overrides()]


def test_neither_known_creates_one_identified_person_for_both(store: PersonStore) -> None:
    assert _unite(store, "alice", "anon-1") is None
    person = store.get_by_distinct_id(1, "alice")
    assert person is not None
    assert person.id == person_uuid(1, "alice")
    assert person.is_identified is True
    assert store.distinct_ids(1, person.id) == ["alice", "anon-1"]
    assert _overrides(store) == []


def test_neither_known_keeps_the_id_of_events_stored_personless(store: PersonStore) -> None:
    with store.transaction():
        store.mark_personless(1, "anon-1")
    assert _unite(store, "alice", "anon-1") is None
    person = store.get_by_distinct_id(1, "alice")
    assert person is not None and person.id == person_uuid(1, "anon-1")
    assert _overrides(store) == []  # anon-1's stored events already carry this id


def test_only_mine_known_attaches_the_other(store: PersonStore) -> None:
    pid = _person(store, "alice", plan="pro")
    assert _unite(store, "alice", "anon-1") is None
    assert store.distinct_ids(1, pid) == ["alice", "anon-1"]
    person = store.get(1, pid)
    assert person is not None and person.is_identified and person.properties == {"plan": "pro"}


def test_only_theirs_known_attaches_mine(store: PersonStore) -> None:
    pid = _person(store, "anon-1", seen="yes")
    assert _unite(store, "alice", "anon-1") is None
    assert store.distinct_ids(1, pid) == ["alice", "anon-1"]
    assert _overrides(store) == []


def test_personless_id_that_joins_a_person_gets_an_override(store: PersonStore) -> None:
    pid = _person(store, "alice")
    with store.transaction():
        store.mark_personless(1, "anon-1")
    assert _unite(store, "alice", "anon-1") is None
    # Its events were stored under its own deterministic id; alice's person index is 1, and
    # anon-1's id gets the next one.
    assert _overrides(store) == [Override(1, person_uuid(1, "anon-1"), pid, 1, 2, 1)]


@pytest.mark.parametrize("direction", ["anon into identified", "identified into anon"])
def test_two_persons_merge_into_the_events_person(store: PersonStore, direction: str) -> None:
    mine_id, theirs_id = (
        ("alice", "anon-1") if direction == "anon into identified" else ("anon-1", "alice")
    )
    mine = _person(store, mine_id, "2026-02-01 00:00:00.000000", plan="pro", shared="mine")
    theirs = _person(store, theirs_id, "2026-01-15 00:00:00.000000", seen=3, shared="theirs")
    assert _unite(store, mine_id, theirs_id) is None
    merged = store.get_by_distinct_id(1, theirs_id)
    assert merged is not None and merged.id == mine
    assert merged.properties == {"seen": 3, "shared": "mine", "plan": "pro"}
    assert merged.created_at == "2026-01-15 00:00:00.000000"
    assert merged.is_identified is True
    assert store.get(1, theirs) is None
    assert sorted(store.distinct_ids(1, mine)) == sorted([mine_id, theirs_id])
    assert _overrides(store) == [Override(1, theirs, mine, 1, 2, 1)]  # indexes by creation


def test_an_identified_person_is_not_merged_away(store: PersonStore) -> None:
    _person(store, "alice")
    _person(store, "bob")
    assert _unite(store, "bob", "bob-anon") is None  # bob's person is now identified
    assert _unite(store, "alice", "bob") is Refusal.ALREADY_IDENTIFIED
    assert store.get_by_distinct_id(1, "bob") != store.get_by_distinct_id(1, "alice")


def test_merge_dangerously_merges_two_identified_persons(store: PersonStore) -> None:
    alice = _person(store, "alice")
    bob = _person(store, "bob")
    _unite(store, "alice", "alice-anon")
    _unite(store, "bob", "bob-anon")
    assert _unite(store, "alice", "bob", dangerous=True) is None
    assert sorted(store.distinct_ids(1, alice)) == ["alice", "alice-anon", "bob", "bob-anon"]
    assert _overrides(store) == [Override(1, bob, alice, 1, 2, 1)]


def test_a_second_merge_re_points_the_first_ones_override(store: PersonStore) -> None:
    a, b, c = (_person(store, d) for d in ("a", "b", "c"))
    assert _unite(store, "b", "a") is None  # a's person merged into b's
    assert _unite(store, "c", "b", dangerous=True) is None  # b's (now identified) into c's
    # Events stored under a's or b's person count as c's: the first override moved on.
    assert _overrides(store) == [
        Override(1, a, b, 1, 1, 2),
        Override(1, b, c, 1, 2, 3),
        Override(1, a, c, 2, 1, 3),
    ]
    assert sorted(store.distinct_ids(1, c)) == ["a", "b", "c"]


def test_alias_chain_ends_on_one_person(store: PersonStore) -> None:
    _person(store, "a")
    _unite(store, "b", "a")
    _unite(store, "c", "b")
    ids = {p.id for p in (store.get_by_distinct_id(1, d) for d in "abc") if p is not None}
    assert len(ids) == 1


def test_same_id_on_both_sides_does_nothing(store: PersonStore) -> None:
    assert _unite(store, "alice", "alice") is None
    assert store.get_by_distinct_id(1, "alice") is None


ILLEGAL = [
    "anonymous",
    "ANONYMOUS",
    "Guest",
    "distinctid",
    "DISTINCT_ID",
    "id",
    "not_authenticated",
    "email",
    "undefined",
    "True",
    "false",
    "[object Object]",
    "NaN",
    "None",
    "none",
    "null",
    "0",
    "",
    "   ",
    '"null"',
    "'undefined'",
    '"anonymous"',
    "'0'",
    '"[object Object]"',
]


@pytest.mark.parametrize("illegal", ILLEGAL)
def test_illegal_ids_never_merge(store: PersonStore, illegal: str) -> None:
    assert is_illegal_id(illegal)
    _person(store, "alice")
    assert _unite(store, "alice", illegal) is Refusal.ILLEGAL_ID
    assert _unite(store, illegal, "alice") is Refusal.ILLEGAL_ID
    assert store.get_by_distinct_id(1, illegal) is None


@pytest.mark.parametrize("legal", ["NULL", "nan", "[Object object]", "00", "user-0", "anon"])
def test_case_sensitive_forms_are_legal_in_other_cases(legal: str) -> None:
    assert not is_illegal_id(legal)


def test_other_id_reads_the_right_property() -> None:
    assert other_id("$identify", {"$anon_distinct_id": "x", "alias": "y"}) == "x"
    assert other_id("$create_alias", {"alias": "y"}) == "y"
    assert other_id("$merge_dangerously", {"alias": 42}) == "42"
    assert other_id("$identify", {}) is None
    assert other_id("$pageview", {"alias": "y"}) is None
