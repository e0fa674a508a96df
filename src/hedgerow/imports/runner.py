"""Importing one file: rows read and turned into intake records (in a process of its own,
`parsing.py`), appended to the intake log a batch at a time and stored by the ingestion
worker, with the checkpoint moved as the worker commits and every rejected row reported.

Before a batch is appended, the uuids already stored are left out (the event store keeps
whatever it is given, a uuid twice as two rows; the pipeline drops a stored uuid too, but as
a `duplicate_event` with a warning row each, which a file imported again would flood). Rows
without a uuid get one from their content (`rows.py`), so they are left out as well. The
import runs at most `lead_events` ahead of the worker, so the intake log stays small.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from hedgerow.capture.normalize import format_timestamp
from hedgerow.errors import PayloadTooLarge, ServiceUnavailable
from hedgerow.imports.checkpoint import Checkpoint, CheckpointFile, RejectsReport
from hedgerow.imports.parsing import ParsedBatch, parsed_batches
from hedgerow.imports.readers import RowReader
from hedgerow.ingestion.worker import CONSUMER

if TYPE_CHECKING:
    from hedgerow.imports.stores import ImportStores

POLL_SECONDS = 0.01
OnRows = Callable[[int], None]


@dataclass
class FileSummary:
    path: Path
    rows: int = 0  # rows read by this run
    resumed_at: int = 0  # rows known stored by an earlier run
    appended: int = 0
    already_stored: int = 0
    rejected: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    rejects_path: Path | None = None
    ignored_columns: list[str] = field(default_factory=list)
    already_done: bool = False


@dataclass
class _Pending:
    offset: int  # the intake entry whose commit makes the checkpoint true
    events: int
    checkpoint: Checkpoint


class FileImport:
    def __init__(
        self,
        stores: ImportStores,
        project: int,
        reader: RowReader,
        checkpoints: CheckpointFile,
        rejects_path: Path,
        *,
        batch_rows: int = 2_000,
        lead_events: int = 100_000,
    ) -> None:
        self.stores = stores
        self.project = project
        self.reader = reader
        self.checkpoints = checkpoints
        self.rejects_path = rejects_path
        self.batch_rows = batch_rows
        self.lead_events = lead_events
        self._pending: deque[_Pending] = deque()
        self._last_offset = 0
        self._rejected_before = 0
        self._refused = False  # the intake log refused an append (said once)
        self._imported_at = format_timestamp(datetime.now(UTC))

    def run(self, on_rows: OnRows, *, restart: bool = False) -> FileSummary:
        summary = FileSummary(self.reader.path, rejects_path=self.rejects_path)
        checkpoint = self.checkpoints.initial if restart else self.checkpoints.load()
        if checkpoint.done:
            summary.already_done = True
            summary.resumed_at = checkpoint.rows
            return summary
        summary.resumed_at = checkpoint.rows
        self._rejected_before = checkpoint.rejected
        on_rows(checkpoint.rows)
        drain(self.stores)  # what an interrupted run appended
        rejects = RejectsReport(self.rejects_path, checkpoint.rejects_bytes)
        reported = checkpoint.rows
        try:
            batches = parsed_batches(
                self.reader, checkpoint.rows, self.batch_rows, self._imported_at
            )
            for batch in batches:
                for number, rejection in batch.rejected:
                    rejects.write(number, self.reader.unit, rejection)
                    summary.reasons[rejection.reason] += 1
                summary.rejected += len(batch.rejected)
                summary.rows += batch.rows - reported
                summary.ignored_columns = batch.ignored_columns
                checkpoint = self._send(batch, checkpoint, rejects, summary)
                on_rows(batch.rows - reported)
                reported = batch.rows
            self.wait_ingested(self._last_offset)
            self._advance_checkpoint()
            self.checkpoints.save(replace(checkpoint, done=True))
        finally:
            rejects.close()
        if summary.rejected == 0 and self.rejects_path.stat().st_size == 0:
            self.rejects_path.unlink()
            summary.rejects_path = None
        return summary

    def _send(
        self,
        batch: ParsedBatch,
        checkpoint: Checkpoint,
        rejects: RejectsReport,
        summary: FileSummary,
    ) -> Checkpoint:
        """Append the batch's records not stored yet; the checkpoint after it becomes true
        once the worker has committed the entry (at once when nothing was appended)."""
        team = self.project
        unseen = self.stores.state.unseen([(team, u) for u in batch.uuids])
        fresh, payload = len(batch.uuids), batch.payload
        if len(unseen) < fresh:  # some stored already: left out
            records = orjson.loads(payload)
            kept = [r for r, u in zip(records, batch.uuids, strict=True) if (team, u) in unseen]
            fresh, payload = len(kept), orjson.dumps(kept)
        summary.already_stored += len(batch.uuids) - fresh
        after = replace(
            checkpoint,
            rows=batch.rows,
            rejected=self._rejected_before + summary.rejected,
            rejects_bytes=rejects.flush(),
        )
        if fresh:
            self._last_offset = self._append(team, fresh, payload)
            summary.appended += fresh
            self.stores.worker.wake()
        self._pending.append(_Pending(self._last_offset, fresh, after))
        self._advance_checkpoint()
        while self._unstored_events() > self.lead_events:
            time.sleep(POLL_SECONDS)
            self._advance_checkpoint()
        return after

    def _append(self, team: int, count: int, payload: bytes) -> int:
        """Append records as one entry (halves when the intake log refuses it as too large:
        NATS takes messages of 1 MiB by default), waiting while it refuses for the time
        being (backpressure); return the last entry's offset."""
        while True:
            try:
                return asyncio.run(self.stores.intake.append(team, count, payload))
            except PayloadTooLarge:
                if count == 1:
                    raise
                records = orjson.loads(payload)
                half = count // 2
                self._append(team, half, orjson.dumps(records[:half]))
                count, payload = count - half, orjson.dumps(records[half:])
            except ServiceUnavailable as exc:
                if not self._refused:
                    print(
                        f"hedgerow: the intake log refuses for now, waiting: {exc}", file=sys.stderr
                    )
                self._refused = True
                time.sleep(0.5)

    def _unstored_events(self) -> int:
        committed = self.stores.intake.committed(CONSUMER)
        return sum(p.events for p in self._pending if p.offset > committed)

    def _advance_checkpoint(self) -> None:
        committed = self.stores.intake.committed(CONSUMER)
        latest: Checkpoint | None = None
        while self._pending and self._pending[0].offset <= committed:
            latest = self._pending.popleft().checkpoint
        if latest is not None:
            self.checkpoints.save(latest)

    def wait_ingested(self, offset: int) -> None:
        """Until the worker has committed the intake log up to `offset`."""
        wait_committed(self.stores, offset, self._advance_checkpoint)


def wait_committed(
    stores: ImportStores, offset: int, meanwhile: Callable[[], None] = lambda: None
) -> None:
    """Until the worker has committed the intake log up to `offset`."""
    worker = stores.worker
    said = None
    while stores.intake.committed(CONSUMER) < offset:
        if not worker.alive:
            raise RuntimeError(f"the ingestion worker stopped: {worker.last_error}")
        if worker.last_error and worker.last_error != said:  # it retries the batch
            said = worker.last_error
            print(f"hedgerow: ingestion failed, retrying: {said}", file=sys.stderr)
        time.sleep(POLL_SECONDS)
        meanwhile()


def drain(stores: ImportStores) -> None:
    """Until the worker has stored everything the intake log holds."""
    wait_committed(stores, stores.intake.head())
