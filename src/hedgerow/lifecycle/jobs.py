"""Erasure jobs, kept in `jobs.sqlite3` in the data directory so that a job interrupted by
a restart goes on where it was (every step of a job is safe to repeat).

A job erases one or more persons of one project, with or without their events. Its `plan`
holds what the runner needs to go on after a restart (the persons' ids and distinct ids,
the moment of the erasure, the partitions done); it is emptied when the job ends, so that
a finished job names no one: only counts stay.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

_SCHEMA = """
CREATE TABLE IF NOT EXISTS erasure_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team_id INTEGER NOT NULL,
    delete_events INTEGER NOT NULL,
    status TEXT NOT NULL,
    phase TEXT NOT NULL,
    plan TEXT NOT NULL,
    persons INTEGER NOT NULL,
    distinct_ids INTEGER NOT NULL DEFAULT 0,
    events_deleted INTEGER NOT NULL DEFAULT 0,
    progress REAL NOT NULL DEFAULT 0,
    error TEXT,
    created_at REAL NOT NULL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS erasure_jobs_by_team ON erasure_jobs (team_id, id);
"""

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


@dataclass
class ErasureJob:
    id: int
    team_id: int
    delete_events: bool
    status: str
    phase: str
    plan: dict[str, Any]
    persons: int
    distinct_ids: int = 0
    events_deleted: int = 0
    progress: float = 0.0
    error: str | None = None
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)


_COLUMNS = (
    "id, team_id, delete_events, status, phase, plan, persons, distinct_ids, events_deleted, "
    "progress, error, created_at, finished_at"
)


def _job(row: tuple[Any, ...]) -> ErasureJob:
    return ErasureJob(
        int(row[0]),
        int(row[1]),
        bool(row[2]),
        row[3],
        row[4],
        orjson.loads(row[5]),
        int(row[6]),
        int(row[7]),
        int(row[8]),
        float(row[9]),
        row[10],
        float(row[11]),
        None if row[12] is None else float(row[12]),
    )


class ErasureJobs:
    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def create(self, team_id: int, person_ids: list[str], *, delete_events: bool) -> ErasureJob:
        plan = {"requested": person_ids, "erased": []}
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO erasure_jobs (team_id, delete_events, status, phase, plan, persons, "
                "created_at) VALUES (?, ?, ?, 'persons', ?, ?, ?)",
                (
                    team_id,
                    int(delete_events),
                    QUEUED,
                    orjson.dumps(plan),
                    len(person_ids),
                    time.time(),
                ),
            )
            job_id = int(cursor.lastrowid or 0)
        found = self.get(team_id, job_id)
        assert found is not None
        return found

    def get(self, team_id: int, job_id: int) -> ErasureJob | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM erasure_jobs WHERE team_id = ? AND id = ?",
                (team_id, job_id),
            ).fetchone()
        return None if row is None else _job(row)

    def recent(self, team_id: int, limit: int = 100) -> list[ErasureJob]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM erasure_jobs WHERE team_id = ? ORDER BY id DESC LIMIT ?",
                (team_id, limit),
            ).fetchall()
        return [_job(r) for r in rows]

    def unfinished(self) -> list[ErasureJob]:
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_COLUMNS} FROM erasure_jobs WHERE status IN (?, ?) ORDER BY id",
                (QUEUED, RUNNING),
            ).fetchall()
        return [_job(r) for r in rows]

    def save(self, job: ErasureJob) -> None:
        """Write the job's state (one transaction: what the runner did is recorded whole)."""
        with self._lock:
            self._conn.execute(
                "UPDATE erasure_jobs SET status = ?, phase = ?, plan = ?, distinct_ids = ?, "
                "events_deleted = ?, progress = ?, error = ?, finished_at = ? WHERE id = ?",
                (
                    job.status,
                    job.phase,
                    orjson.dumps(job.plan),
                    job.distinct_ids,
                    job.events_deleted,
                    job.progress,
                    job.error,
                    job.finished_at,
                    job.id,
                ),
            )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
