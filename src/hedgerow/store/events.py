"""What ingestion and the query layer need from an event store (ClickHouse SQL)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hedgerow.event import IngestEvent
from hedgerow.persons.store import MirrorRow, Override

# The value of a ClickHouse setting (`max_execution_time = 2.5`, `readonly = 1`).
SettingValue = str | int | float


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    types: list[str]
    rows: list[list[Any]]


@dataclass(frozen=True)
class QueryLimits:
    """What one query run for the API may cost; 0 means no limit. Internal work (inserts,
    squashing, upgrades at start) runs without them."""

    timeout: float = 0
    max_memory: int = 0
    max_result_rows: int = 0
    max_result_bytes: int = 0
    slow_seconds: float = 0  # a query that runs longer is written to the log (0: none)


class QueryFailed(RuntimeError):
    """The event store could not run a query. `limit` names the query limit that stopped it
    (`memory`, `time` or `result`), or is None for any other error; `name` is the store's
    own name for the error (ClickHouse's, like `ILLEGAL_TYPE_OF_ARGUMENT`)."""

    def __init__(self, message: str, *, name: str = "", limit: str | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.limit = limit


class EventStore(Protocol):
    def insert(self, events: Sequence[IngestEvent], dedup_token: str) -> None:
        """Insert one batch. A second insert with the same token stores nothing."""
        ...

    def flush_sessions(self) -> None:
        """Write the sessions of the batches inserted so far (the store buffers them)."""
        ...

    def insert_overrides(self, overrides: Sequence[Override]) -> None:
        """Record that events of these distinct ids now count as other persons."""
        ...

    def override_count(self, team_id: int) -> int: ...

    def mirror_persons(self, rows: Sequence[MirrorRow]) -> None:
        """Apply person and distinct-id changes to the event store's person tables."""
        ...

    def unindexed_person_ids(self) -> list[str]:
        """Person ids stored without their person index (rows from before indexes)."""
        ...

    def fill_person_indexes(self, indexes: Mapping[str, int]) -> None:
        """Give those rows their person index (person id -> index)."""
        ...

    def squash_overrides(self, limit: int = 1000) -> int:
        """Rewrite stored events for some overrides and drop them; return how many."""
        ...

    def query(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        settings: Mapping[str, SettingValue] | None = None,
    ) -> QueryResult:
        """Run read-only ClickHouse SQL with `{name:Type}` parameters and extra ClickHouse
        `settings`, within the store's query limits; raises `QueryFailed`."""
        ...

    def stream(
        self,
        sql: str,
        params: Mapping[str, Any] | None = None,
        *,
        output: str,
        settings: Mapping[str, SettingValue] | None = None,
    ) -> Iterator[bytes]:
        """Run read-only SQL and yield its result in ClickHouse's `output` format, block by
        block as the store produces them (an export: no row limit, the memory limit holds)."""
        ...

    def materialize(self, key: str) -> str:
        """Add a typed column for a property key (no history rewrite); return its name."""
        ...

    def materialized_columns(self) -> dict[str, str]:
        """Property key -> column name of every materialized property."""
        ...

    def close(self) -> None: ...
