"""Recently computed query results, kept in memory for a while and answered again.

Each entry is the result exactly as it was first answered (its JSON bytes), with when it was
computed, under a key that the caller derives from everything the result depends on. An
entry older than `ttl` seconds is never answered. The cache is bounded twice, by entries and
by bytes: past either bound the least recently used entries go, and a result larger than a
quarter of the byte bound is not kept at all (it would push out everything else). Nothing
survives a restart.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_ENTRIES = 1000
MAX_BYTES = 64 * 1024**2


@dataclass(frozen=True)
class CachedResult:
    project_id: int
    body: bytes  # the result's JSON
    computed_at: float  # seconds since 1970, by the cache's clock


class ResultCache:
    def __init__(
        self,
        ttl: float,
        *,
        max_entries: int = MAX_ENTRIES,
        max_bytes: int = MAX_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.clock = clock
        self._entries: OrderedDict[str, CachedResult] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def size(self) -> tuple[int, int]:
        """(entries, bytes) held now."""
        with self._lock:
            return len(self._entries), self._bytes

    def get(self, key: str) -> CachedResult | None:
        """The entry of `key` if it is younger than `ttl`; an older one is dropped."""
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if self.clock() - found.computed_at >= self.ttl:
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return found

    def put(self, project_id: int, key: str, body: bytes, computed_at: float) -> None:
        if self.ttl <= 0 or len(body) > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            self._entries[key] = CachedResult(project_id, body, computed_at)
            self._bytes += len(body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))

    def clear(self, project_id: int) -> int:
        """Forget every result of a project (its data was erased, say); how many went."""
        with self._lock:
            keys = [k for k, v in self._entries.items() if v.project_id == project_id]
            for key in keys:
                self._drop(key)
        return len(keys)

    def _drop(self, key: str) -> None:
        self._bytes -= len(self._entries.pop(key).body)
