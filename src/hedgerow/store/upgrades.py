"""Bring stored data written by earlier versions up to the current format, once, at start.

Each step checks whether it has work (cheaply, after it has run once) and does nothing
otherwise; the server runs them before ingestion or queries start.
"""

from __future__ import annotations

import logging
import time

from hedgerow.persons.store import PersonStore
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.schema import DEFAULT_MATERIALIZED

log = logging.getLogger(__name__)


def upgrade_stores(persons: PersonStore, events: ChdbEventStore) -> None:
    if legacy := persons.legacy_overrides():  # overrides once kept by distinct id
        events.rewrite_distinct_ids(legacy)
        persons.drop_legacy_overrides()
    if unindexed := events.unindexed_person_ids():
        # Events and overrides stored before person indexes: each person id gets its index
        # from the person store (as new events would), then the rows are rewritten.
        started = time.monotonic()
        log.info("giving %d stored person ids their person index ...", len(unindexed))
        indexes = persons.indexes(unindexed)
        log.info("rewriting stored events with their person index ...")
        events.fill_person_indexes(indexes)
        log.info("person indexes written in %.1f s", time.monotonic() - started)
    # Last: the rewrites above wait for their mutations, which would wait for this one.
    if added := events.add_materialized_columns(DEFAULT_MATERIALIZED):
        # Columns a later version materializes (`$virt_is_bot`): added without rewriting
        # the stored events; a background mutation fills them into the stored parts.
        log.info("materialized columns added: %s (filled in the background)", ", ".join(added))
