"""The stores an import works on: the data directory's own intake log, person and group
stores, event store and ingestion state, with an ingestion worker of its own.

The embedded event store allows one process, so an import runs while no `hedgerow serve`,
`ingest` or `web` has the data directory open (like `hedgerow export`); the event store is
opened first, so that a running server is found before anything is written. The events go
through the data directory's intake log, as captured events do: what the import appended
before an interruption is stored by whichever ingests next (this import resumed, or the
server), exactly once, by the worker's own crash safety.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hedgerow.app import build_intake
from hedgerow.ingestion.state import IngestionState
from hedgerow.ingestion.worker import IngestionWorker
from hedgerow.intake.log import IntakeLog
from hedgerow.persons.groups import SqliteGroupStore
from hedgerow.persons.sqlite import SqlitePersonStore
from hedgerow.processes import SplitRefused
from hedgerow.projects import ProjectCatalog
from hedgerow.settings import Settings
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.events import QueryLimits
from hedgerow.store.open_store import event_store_for
from hedgerow.store.upgrades import upgrade_stores


@dataclass
class ImportStores:
    intake: IntakeLog
    state: IngestionState
    persons: SqlitePersonStore
    events: ChdbEventStore
    groups: SqliteGroupStore
    worker: IngestionWorker

    def close(self) -> None:
        self.worker.stop()
        self.intake.close()
        self.events.close()
        self.persons.close()
        self.groups.close()
        self.state.close()


def _event_store(settings: Settings) -> ChdbEventStore:
    path = settings.storage.data_dir / "events.chdb"
    try:
        return event_store_for(settings, QueryLimits(timeout=0))
    except RuntimeError as exc:
        if "EmbeddedServer" not in str(exc):
            raise
        raise SplitRefused(
            f"`hedgerow import` cannot open the event store in {path}: another process "
            "(hedgerow serve, ingest or web) has it open, and the embedded event store allows "
            "one. Stop it, run the import, then start it again."
        ) from exc


def open_import_stores(settings: Settings, catalog: ProjectCatalog) -> ImportStores:
    """Open the stores and start the worker; raises `SplitRefused` while a server runs."""
    data_dir = settings.storage.data_dir
    events = _event_store(settings)
    persons = SqlitePersonStore(data_dir / "persons.sqlite3")
    upgrade_stores(persons, events)
    intake = build_intake(settings)
    state = IngestionState(data_dir / "ingestion.sqlite3")
    groups = SqliteGroupStore(data_dir / "groups.sqlite3")
    ingestion = settings.ingestion
    pause_file = ingestion.ingestion_pause_file
    worker = IngestionWorker(
        intake,
        state,
        persons,
        events,
        groups,
        batch_size=ingestion.batch_size,
        squash_interval=ingestion.squash_interval,
        buffer_delay=ingestion.buffer_delay,
        pause_file=Path(pause_file) if pause_file else None,
        redactions={p.id: frozenset(p.redacted_properties) for p in catalog.all()},
    )
    worker.start()
    return ImportStores(intake, state, persons, events, groups, worker)
