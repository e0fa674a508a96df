"""PostHog's identity rules: when two distinct ids become one person.

`$identify` (with `$anon_distinct_id`), `$create_alias` and `$merge_dangerously` (with
`alias`) name two ids. If either is an illegal placeholder id, nothing merges. If neither has
a person, one person is created for both; if one has, the other id joins it; if both have
different persons, the other id's person is merged into the event's person, unless it is
already identified (only `$merge_dangerously` overrides that). Any identity event that ends
with both ids on one person marks that person identified.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hedgerow.persons.ids import person_uuid
from hedgerow.persons.store import Override, Person, PersonStore

_ILLEGAL_ANY_CASE = frozenset(
    {
        "anonymous",
        "guest",
        "distinctid",
        "distinct_id",
        "id",
        "not_authenticated",
        "email",
        "undefined",
        "true",
        "false",
    }
)
_ILLEGAL_EXACT = frozenset({"[object Object]", "NaN", "None", "none", "null", "0", "undefined"})

IDENTITY_EVENTS = frozenset({"$identify", "$create_alias", "$merge_dangerously"})


def is_illegal_id(distinct_id: str) -> bool:
    """Placeholder ids that clients send by mistake and that must never merge people."""
    text = distinct_id.strip()
    if not text:
        return True
    for quote in ('"', "'"):
        if len(text) >= 2 and text[0] == quote and text[-1] == quote:
            text = text[1:-1]
            break
    return text.lower() in _ILLEGAL_ANY_CASE or text in _ILLEGAL_EXACT


class Refusal(StrEnum):
    ILLEGAL_ID = "cannot_merge_with_illegal_distinct_id"
    ALREADY_IDENTIFIED = "cannot_merge_already_identified"


@dataclass(frozen=True)
class IdentityOutcome:
    refusal: Refusal | None = None


def other_id(event: str, properties: dict[str, object]) -> str | None:
    """The second distinct id an identity event names, if it is one."""
    key = "$anon_distinct_id" if event == "$identify" else "alias"
    if event not in IDENTITY_EVENTS:
        return None
    value = properties.get(key)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return value if isinstance(value, str) else None


def unite(
    store: PersonStore,
    team_id: int,
    distinct_id: str,
    other: str,
    *,
    dangerous: bool,
    created_at: str,
) -> IdentityOutcome:
    """Make `distinct_id` and `other` one person, following the rules above."""
    if other == distinct_id:
        return IdentityOutcome()
    if is_illegal_id(distinct_id) or is_illegal_id(other):
        return IdentityOutcome(refusal=Refusal.ILLEGAL_ID)
    mine = store.get_by_distinct_id(team_id, distinct_id)
    theirs = store.get_by_distinct_id(team_id, other)
    if mine is None and theirs is None:
        # One person for both. Its id is the identified id's, unless only the other id has
        # events already (stored personless), which then keep their person id.
        primary = distinct_id
        if store.was_personless(team_id, other) and not store.was_personless(team_id, distinct_id):
            primary = other
        person = store.create(
            team_id,
            primary,
            properties={},
            created_at=created_at,
            is_identified=True,
        )
        _join(store, person, other if primary == distinct_id else distinct_id)
        return IdentityOutcome()
    if mine is None or theirs is None:
        known = mine or theirs
        assert known is not None
        newcomer = distinct_id if mine is None else other
        _join(store, known, newcomer)
        _mark_identified(store, known)
        return IdentityOutcome()
    if mine.id == theirs.id:
        _mark_identified(store, mine)
        return IdentityOutcome()
    if theirs.is_identified and not dangerous:
        return IdentityOutcome(refusal=Refusal.ALREADY_IDENTIFIED)
    store.merge(theirs, mine)
    return IdentityOutcome()


def _mark_identified(store: PersonStore, person: Person) -> None:
    if not person.is_identified:
        person.is_identified = True
        store.update_properties(person)


def _join(store: PersonStore, person: Person, distinct_id: str) -> None:
    """Attach a distinct id without a person. If events were stored personless under it,
    they carry its own deterministic id: an override makes them count as `person`."""
    team_id = person.team_id
    own_id = person_uuid(team_id, distinct_id)
    needs_override = own_id != person.id and store.was_personless(team_id, distinct_id)
    store.attach(person, distinct_id, version=1 if needs_override else 0)
    if needs_override:
        store.record_overrides(
            [Override(team_id, own_id, person.id, 1, store.index_of(own_id), person.idx)]
        )
