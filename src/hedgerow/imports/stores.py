"""The stores an import works on: the data directory's own intake log, person and group
stores, event store and ingestion state, with an ingestion worker and an erasure runner of
its own.

The embedded event store allows one process, so an import runs while no `hedgerow serve`,
`ingest` or `web` has the data directory open (like `hedgerow export`); a running server is
found first (its control file, then the event store's lock) and refused with what to do
instead, before anything is written. The events go through the data directory's intake log,
as captured events do: what the import appended before an interruption is stored by
whichever ingests next (this import resumed, or the server), exactly once, by the worker's
own crash safety.

Erasure jobs a stopped server left unfinished hold for the import too: the runner is built
before the worker starts, so the jobs' persons' events captured before their erasure are
dropped from the first batch on, and `run_import` carries the jobs to their end before it
appends a row (`ErasureRunner.finish_pending`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hedgerow.app import build_intake
from hedgerow.ingestion.state import IngestionState
from hedgerow.ingestion.steps.redact import redacted_keys
from hedgerow.ingestion.worker import IngestionWorker
from hedgerow.intake.log import IntakeLog
from hedgerow.lifecycle.control import read_control
from hedgerow.lifecycle.jobs import ErasureJobs
from hedgerow.lifecycle.runner import ErasureRunner
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
    erasure: ErasureRunner

    def close(self) -> None:
        self.worker.stop()
        self.erasure.jobs.close()
        self.intake.close()
        self.events.close()
        self.persons.close()
        self.groups.close()
        self.state.close()


def _refusal(data_dir: Path, who: str, batch_url: str) -> SplitRefused:
    return SplitRefused(
        f"`hedgerow import` cannot run while {who} has {data_dir} open: the embedded event "
        "store allows one process. Either send the events to the running server with "
        f"`POST {batch_url}` (PostHog's batch API, as SDKs capture; no resume or rejects "
        "report), or stop the server, run the import, then start the server again."
    )


def _event_store(settings: Settings) -> ChdbEventStore:
    data_dir = settings.storage.data_dir
    control = read_control(data_dir)
    if control is not None:  # `hedgerow serve` runs: named, with its address
        who = f"`hedgerow serve` (pid {control.pid}, {control.url})"
        raise _refusal(data_dir, who, control.url.rstrip("/") + "/batch/")
    try:
        return event_store_for(settings, QueryLimits(timeout=0))
    except RuntimeError as exc:
        if "EmbeddedServer" not in str(exc):
            raise
        who = "another process (hedgerow serve, ingest or web)"
        raise _refusal(data_dir, who, "/batch/") from exc


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
        redactions={p.id: redacted_keys(p) for p in catalog.all()},
    )
    # Before the worker starts: unfinished jobs' tombstones drop their persons' events.
    erasure = ErasureRunner(ErasureJobs(data_dir / "jobs.sqlite3"), persons, events, worker, intake)
    worker.start()
    return ImportStores(intake, state, persons, events, groups, worker, erasure)
