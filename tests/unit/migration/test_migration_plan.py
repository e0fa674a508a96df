"""What `hedgerow migrate --to` plans before it copies: the events' windows cover every
(project, day) once, hold at most the window's rows unless cut, never cross a project or a
month; and its lists of SQLite tables name every table the embedded stores create, so that
no table is left behind."""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from hedgerow.accounts.sessions import SessionStore
from hedgerow.accounts.users import UserStore
from hedgerow.actions import ActionStore
from hedgerow.audit import AuditLog
from hedgerow.insights.schema import SavedDb
from hedgerow.migration.event_windows import Window, plan_windows
from hedgerow.migration.postgres_copy import APP_TABLES, GROUP_TABLES, PERSON_TABLES
from hedgerow.persons.groups import SqliteGroupStore
from hedgerow.persons.sqlite import SqlitePersonStore
from hedgerow.projects import ProjectCatalog


def _day_counts(seed: int) -> list[tuple[int, str, int]]:
    rng = random.Random(seed)
    rows = []
    for team in (1, 2, 5):
        day = date(2026, 1, 20)
        for _ in range(rng.randint(1, 40)):
            day += timedelta(days=rng.randint(1, 4))
            rows.append((team, day.isoformat(), rng.choice([1, 3, 9, 10, 11, 25, 240])))
    return rows


def _days_of(window: Window, counts: list[tuple[int, str, int]]) -> list[tuple[int, str]]:
    return [
        (team, day)
        for team, day, _ in counts
        if team == window.team_id and window.first_day <= day <= window.last_day
    ]


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("window_rows", [1, 10, 100])
def test_windows_cover_every_day_once_within_their_size(seed: int, window_rows: int) -> None:
    counts = _day_counts(seed)
    windows = plan_windows(counts, window_rows)
    assert windows == plan_windows(counts, window_rows)  # the same plan every time
    by_day = {(team, day): n for team, day, n in counts}
    covered: Counter[tuple[int, str]] = Counter()
    for window in windows:
        days = _days_of(window, counts)
        assert days and window.first_day[:7] == window.last_day[:7]
        if window.parts == 1:
            assert window.rows == sum(by_day[d] for d in days) <= window_rows
            covered.update(days)
        else:  # one day too big for a window, cut into parts that each hold about a share
            assert len(days) == 1 and by_day[days[0]] > window_rows
            assert window.parts == -(-by_day[days[0]] // window_rows)
            covered[days[0]] += 1 if window.part == 0 else 0
    assert covered == Counter(by_day.keys())
    parts = Counter((w.team_id, w.first_day) for w in windows if w.parts > 1)
    for (team, day), seen in parts.items():
        assert seen == -(-by_day[(team, day)] // window_rows)
    assert sum(w.rows for w in windows) == sum(by_day.values())
    tokens = [w.dedup_token() for w in windows]
    assert len(set(tokens)) == len(tokens)


def test_a_window_reads_back_from_its_list_form() -> None:
    window = Window(3, "2026-02-01", "2026-02-09", 2, 7, 41)
    assert Window.from_list(window.as_list()) == window


def _tables(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
    finally:
        conn.close()
    return {str(r[0]) for r in rows}


def test_every_table_of_the_embedded_stores_is_copied(tmp_path: Path) -> None:
    meta = tmp_path / "meta.sqlite3"
    for store in (
        ProjectCatalog(meta),
        UserStore(meta),
        SessionStore(meta, 3600),
        AuditLog(meta),
        ActionStore(meta),
        SavedDb(meta),
    ):
        store.close()
    SqlitePersonStore(tmp_path / "persons.sqlite3").close()
    SqliteGroupStore(tmp_path / "groups.sqlite3").close()
    assert _tables(meta) == set(APP_TABLES)
    assert _tables(tmp_path / "persons.sqlite3") == set(PERSON_TABLES)
    assert _tables(tmp_path / "groups.sqlite3") == set(GROUP_TABLES)
