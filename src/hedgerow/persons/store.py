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


class PersonStore(Protocol):
    def transaction(self) -> AbstractContextManager[None]:
        """Group the writes of one ingestion batch; commit on exit."""
        ...

    def prefetch(self, keys: Iterable[tuple[int, str]]) -> None:
        """Within a transaction: load the persons of these (project, distinct_id) pairs."""
        ...

    def get_by_distinct_id(self, team_id: int, distinct_id: str) -> Person | None: ...

    def get(self, team_id: int, person_id: str) -> Person | None: ...

    def create(
        self, team_id: int, distinct_id: str, *, properties: dict[str, Any], created_at: str
    ) -> Person: ...

    def update_properties(self, person: Person) -> None: ...

    def distinct_ids(self, team_id: int, person_id: str) -> list[str]: ...

    def list(self, team_id: int, limit: int, offset: int) -> Iterator[Person]: ...

    def close(self) -> None: ...
