"""The type of the `open_store` fixture (conftest.py): opens the test's event store."""

from __future__ import annotations

from typing import Protocol

from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.events import QueryLimits


class OpenStore(Protocol):
    def __call__(
        self, limits: QueryLimits | None = None, *, keep_sessions: bool = True
    ) -> ChdbEventStore: ...
