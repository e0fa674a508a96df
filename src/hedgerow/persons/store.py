"""What ingestion and the API need from a person store."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass
class Person:
    team_id: int
    id: str
    properties: dict[str, Any]
    is_identified: bool
    created_at: str
    version: int = 0
    distinct_ids: list[str] = field(default_factory=list)
    # The person index events carry (see `index_of`); a person the store hands out inside a
    # transaction always has it.
    idx: int = 0


@dataclass(frozen=True)
class Override:
    """Events stored under `old_person_id` (a merged-away person, or the deterministic id of
    a personless distinct id) count as `person_id`; the highest version wins. The two person
    indexes go with the two ids."""

    team_id: int
    old_person_id: str
    person_id: str
    version: int
    old_person_idx: int
    person_idx: int


@dataclass(frozen=True)
class MirrorRow:
    """One change to mirror into the event store: a person's state or a distinct id's
    mapping (by `kind`)."""

    kind: str  # "person" or "distinct_id"
    team_id: int
    person_id: str
    version: int
    distinct_id: str = ""
    properties: str = "{}"
    is_identified: bool = False
    created_at: str = ""
    is_deleted: bool = False


@dataclass(frozen=True)
class ErasedPerson:
    """What was erased of one person: its id, its distinct ids, and every person id its
    events may carry (its own, the persons merged into it, its distinct ids' deterministic
    ids)."""

    team_id: int
    person_id: str
    distinct_ids: list[str]
    person_ids: list[str]


class PersonStore(Protocol):
    """The embedded implementation is `sqlite.py`; the scale-out one `postgres.py`."""

    def transaction(self) -> AbstractContextManager[None]:
        """Group the writes of one ingestion batch; commit on exit."""
        ...

    def prefetch(self, keys: Iterable[tuple[int, str]]) -> None:
        """Within a transaction: load the persons of these (project, distinct_id) pairs."""
        ...

    def get_by_distinct_id(self, team_id: int, distinct_id: str) -> Person | None: ...

    def get(self, team_id: int, person_id: str) -> Person | None: ...

    def create(
        self,
        team_id: int,
        distinct_id: str,
        *,
        properties: dict[str, Any],
        created_at: str,
        person_id: str | None = None,
        is_identified: bool = False,
    ) -> Person: ...

    def attach(self, person: Person, distinct_id: str, version: int = 0) -> None: ...

    def update_properties(self, person: Person) -> None: ...

    def merge(self, source: Person, target: Person) -> list[Override]: ...

    def mark_personless(self, team_id: int, distinct_id: str) -> None: ...

    def index_of(self, person_id: str) -> int:
        """Within a transaction: the person index of a person id (of a person, a merged-away
        one or a personless distinct id's), given on first use: a dense integer from 1 that
        never changes, which events carry so that queries count persons by it."""
        ...

    def indexes(self, person_ids: Iterable[str]) -> dict[str, int]:
        """The person indexes of many person ids, given where missing (own transaction)."""
        ...

    def was_personless(self, team_id: int, distinct_id: str) -> bool: ...

    def record_overrides(self, overrides: Iterable[Override]) -> None: ...

    def pending_overrides(self, limit: int = 10_000) -> list[tuple[int, Override]]: ...

    def clear_overrides(self, up_to_id: int) -> None: ...

    def take_mirror(self) -> list[MirrorRow]:
        """Person and distinct-id changes of committed transactions, handed over once."""
        ...

    def distinct_ids(self, team_id: int, person_id: str) -> list[str]: ...

    def recent(self, team_id: int, limit: int, offset: int, search: str = "") -> Iterator[Person]:
        """Persons newest first (by `created_at`); with `search`, those whose id, a distinct
        id or a property value contains it (case-insensitive)."""
        ...

    def count(self, team_id: int) -> int: ...

    def erase(self, team_id: int, person_id: str) -> ErasedPerson | None:
        """Delete a person and every row naming it in one transaction (between batches)."""
        ...

    def legacy_overrides(self) -> list[tuple[int, str, str]]:
        """(project, distinct_id, person_id) of an outbox from before overrides were kept
        by person id (embedded stores of old versions only)."""
        ...

    def drop_legacy_overrides(self) -> None: ...

    def close(self) -> None: ...
