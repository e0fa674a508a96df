"""Caches that stay near their bound instead of emptying at it.

Ingestion keeps persons, their indexes and the ids known to have no person in memory between
batches. Emptying such a cache when it passes its bound turned the process's memory into a
sawtooth (half a million persons freed in one go, a pause while they were, then the cache
growing back over minutes) and sent the next batches to disk for every person. Dropping the
oldest tenth instead keeps memory level at the bound and the recently seen persons warm.
"Oldest" is the order of insertion (a dict's order): a person read again is not moved.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

KEEP = 0.9  # of the bound, after a trim


def trim_oldest(entries: dict[Any, Any], limit: int) -> int:
    """Past `limit` entries, drop the first inserted down to `KEEP` of it; how many went."""
    if len(entries) <= limit:
        return 0
    excess = len(entries) - int(limit * KEEP)
    for key in list(islice(entries, excess)):
        del entries[key]
    return excess
