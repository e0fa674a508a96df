"""Backpressure: when capture refuses an append with 503 and `Retry-After`, and why.

Each signal is cheap to read on every request: the backlog is a counter, the lag comes from
the oldest unprocessed append time the log keeps up to date as it writes, and the free disk
space is read with `statvfs` at most once a second. Refusing frees the request's memory at
once; the SDKs retry after `Retry-After` and capture resumes by itself when the signal goes.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

from hedgerow.errors import ServiceUnavailable

log = logging.getLogger(__name__)

MIB = 1024 * 1024

# Seconds clients are asked to wait. Ingestion drains a backlog in seconds; a full disk needs
# someone to free space, so clients are asked to come back less often.
RETRY_INGESTION = 5
RETRY_WRITER = 2
RETRY_DISK = 30


def intake_full(backlog: int, limit: int) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"The intake log holds {backlog} unprocessed events; its limit is {limit} "
        "(--intake-max-backlog). Ingestion is behind: retry after the Retry-After seconds.",
        code="intake_full",
        retry_after=RETRY_INGESTION,
    )


def stream_full(messages: int, size: int, max_msgs: int, max_bytes: int) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"The intake stream holds {messages} unprocessed entries ({size / MIB:.1f} MiB); its "
        f"limits are {max_msgs} entries and {max_bytes / MIB:.1f} MiB "
        "(--intake-stream-max-msgs, --intake-stream-max-bytes). Ingestion is behind: retry "
        "after the Retry-After seconds.",
        code="intake_full",
        retry_after=RETRY_INGESTION,
    )


def ingestion_lagging(lag: float, limit: float) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"The oldest unprocessed event has waited {lag:.1f} s for ingestion; the limit is "
        f"{limit:g} s (--intake-max-lag). Retry after the Retry-After seconds.",
        code="ingestion_lagging",
        retry_after=RETRY_INGESTION,
    )


def intake_busy(pending: int, limit: int) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"{pending / MIB:.1f} MiB of events are already waiting for the intake log's disk "
        f"(at most {limit / MIB:.0f} MiB wait). Retry after the Retry-After seconds.",
        code="intake_busy",
        retry_after=RETRY_WRITER,
    )


def intake_unavailable(reason: str) -> ServiceUnavailable:
    return ServiceUnavailable(
        f"The intake log could not store the events ({reason}); nothing of this request "
        "was kept. Retry after the Retry-After seconds.",
        code="intake_unavailable",
        retry_after=RETRY_INGESTION,
    )


class DiskSpace:
    """Free space on the filesystem holding `path`, read at most once per `refresh` s."""

    def __init__(self, path: Path, min_free: int, *, refresh: float = 1.0) -> None:
        self.path = path
        self.min_free = min_free
        self.refresh = refresh
        self._free: int | None = None
        self._next_read = 0.0

    def free_bytes(self) -> int | None:
        """Bytes free for the server's files (None: the filesystem cannot be read)."""
        now = time.monotonic()
        if now >= self._next_read:
            self._next_read = now + self.refresh
            try:
                stats = os.statvfs(self.path)
            except OSError as exc:  # the stores will report their own errors
                log.warning("cannot read the free space of %s: %s", self.path, exc)
                self._free = None
            else:
                self._free = stats.f_bavail * stats.f_frsize
        return self._free

    def check(self) -> None:
        free = self.free_bytes()
        if free is not None and free < self.min_free:
            raise ServiceUnavailable(
                f"The data directory's disk has {free / MIB:.1f} MiB free, less than the "
                f"{self.min_free / MIB:.1f} MiB it must keep (--min-free-disk). Free some "
                "space; capture resumes by itself. Retry after the Retry-After seconds.",
                code="disk_full",
                retry_after=RETRY_DISK,
            )
