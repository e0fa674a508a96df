"""The windows the events are copied in, planned once from a count per project and day.

A window is one project's events of consecutive days (UTC, as the table's sort key has
them) within one month (the table's partition), up to `window_rows` of them; a day with
more is cut into parts by a hash of the event's uuid. Reading a window reads only its days'
granules, whatever the table's size. The plan is kept in the checkpoint, so a resumed
migration copies exactly the windows it planned; each window's deduplication token names
the window, so one copied twice is stored once.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from typing import Any

from hedgerow.store.schema import DATABASE, quote_string


@dataclass(frozen=True)
class Window:
    team_id: int
    first_day: str  # YYYY-MM-DD
    last_day: str
    part: int  # this window's uuid hash remainder ...
    parts: int  # ... of this many (1: the whole days)
    rows: int  # events counted when planned (an even share of the day when cut into parts)

    def condition(self) -> str:
        where = (
            f"team_id = {int(self.team_id)} AND toDate(timestamp) BETWEEN "
            f"toDate({quote_string(self.first_day)}) AND toDate({quote_string(self.last_day)})"
        )
        if self.parts > 1:
            where += f" AND cityHash64(uuid) % {int(self.parts)} = {int(self.part)}"
        return where

    def dedup_token(self) -> str:
        return (
            f"migrate-events-{self.team_id}-{self.first_day}-{self.last_day}-"
            f"{self.part}-of-{self.parts}"
        )

    def as_list(self) -> list[Any]:
        return list(astuple(self))

    @classmethod
    def from_list(cls, item: Sequence[Any]) -> Window:
        return cls(
            int(item[0]), str(item[1]), str(item[2]), int(item[3]), int(item[4]), int(item[5])
        )


DAY_COUNTS_SQL = (
    f"SELECT team_id, toString(toDate(timestamp)) AS day, count() FROM {DATABASE}.events "
    "GROUP BY team_id, day ORDER BY team_id, day"
)


def plan_windows(day_counts: Sequence[Sequence[Any]], window_rows: int) -> list[Window]:
    """Windows from (project, day, events) rows in project and day order."""
    windows: list[Window] = []
    current: Window | None = None
    for team, day, count in day_counts:
        team_id, day, count = int(team), str(day), int(count)
        if count > window_rows:
            if current is not None:
                windows.append(current)
                current = None
            parts = math.ceil(count / window_rows)
            shares = [count // parts + (i < count % parts) for i in range(parts)]
            windows += [Window(team_id, day, day, i, parts, shares[i]) for i in range(parts)]
            continue
        joins = (
            current is not None
            and current.team_id == team_id
            and current.first_day[:7] == day[:7]
            and current.rows + count <= window_rows
        )
        if current is not None and joins:
            current = Window(team_id, current.first_day, day, 0, 1, current.rows + count)
        else:
            if current is not None:
                windows.append(current)
            current = Window(team_id, day, day, 0, 1, count)
    if current is not None:
        windows.append(current)
    return windows
