"""The retention job with an injected clock: each project's events older than its period
are deleted, the rest (newer ones, projects without a period) stay, and the sessions of the
events deleted go with them; moving the clock on deletes more; no period deletes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hedgerow.event import IngestEvent
from hedgerow.lifecycle.retention import RetentionRunner
from hedgerow.projects import ProjectCatalog
from hedgerow.store.chdb import ChdbEventStore

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _insert(events: ChdbEventStore, team_id: int, days_ago: list[float]) -> None:
    """One event a session, through the store's insert (which keeps the sessions table)."""
    events.insert(
        [
            IngestEvent(
                team_id=team_id,
                uuid=str(uuid.uuid4()),
                event="e",
                distinct_id=f"d{n}",
                properties={"$session_id": f"s{n}"},
                timestamp=f"{NOW - timedelta(days=d):%Y-%m-%d %H:%M:%S}.000000",
                now=f"{NOW:%Y-%m-%d %H:%M:%S}.000000",
            )
            for n, d in enumerate(days_ago)
        ],
        f"retention-{team_id}",
    )


def _ages(events: ChdbEventStore, team_id: int) -> list[int]:
    rows = events.run(
        "SELECT dateDiff('day', timestamp, toDateTime64('2026-06-01 12:00:00', 6)) "
        f"FROM hedgerow.events WHERE team_id = {team_id} ORDER BY timestamp"
    ).rows
    return [int(r[0]) for r in rows]


def _sessions(events: ChdbEventStore, team_id: int) -> list[str]:
    rows = events.run(
        f"SELECT session_id FROM hedgerow.sessions WHERE team_id = {team_id} ORDER BY session_id"
    ).rows
    return [str(r[0]) for r in rows]


def test_events_past_the_period_go_and_the_rest_stay(tmp_path: Path) -> None:
    catalog = ProjectCatalog(tmp_path / "meta.sqlite3")
    kept = catalog.create_project("Keeps for ever")
    limited = catalog.create_project("30 days")
    catalog.update_project(limited.id, retention_days=30)
    events = ChdbEventStore(tmp_path / "events.chdb")
    try:
        ages = [400, 90, 31, 29.5, 10, 0]
        _insert(events, kept.id, ages)
        _insert(events, limited.id, ages)
        clock = [NOW.timestamp()]
        told: list[tuple[int, int]] = []  # (project, deleted) as the audit log hears it
        runner = RetentionRunner(
            catalog,
            events,
            3600,
            clock=lambda: clock[0],
            on_deleted=lambda project, run: told.append((project.id, run.deleted)),
        )

        assert runner.enforce() == {limited.id: 3}
        assert _ages(events, limited.id) == [29, 10, 0]
        assert _ages(events, kept.id) == [400, 90, 31, 29, 10, 0]
        assert _sessions(events, limited.id) == ["s3", "s4", "s5"]
        assert _sessions(events, kept.id) == [f"s{n}" for n in range(6)]
        assert runner.last_runs[limited.id].deleted == 3
        assert runner.last_runs[limited.id].cutoff == "2026-05-02 12:00:00.000000"

        assert runner.enforce() == {limited.id: 0}  # nothing more is old enough
        clock[0] += 1 * 86_400  # a day later the 29.5-day-old event is past 30 days
        assert runner.enforce() == {limited.id: 1}
        assert _ages(events, limited.id) == [10, 0]
        assert told == [(limited.id, 3), (limited.id, 1)]  # a run deleting nothing: not told

        catalog.update_project(limited.id, retention_days=None)
        clock[0] += 100 * 86_400
        assert runner.enforce() == {}
        assert _ages(events, limited.id) == [10, 0] and limited.id not in runner.last_runs
    finally:
        events.close()
        catalog.close()
