"""The progress bar of the commands that move rows (`hedgerow export`, `hedgerow import`):
rows done of the total, rows per second, time elapsed and left."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class RowProgress:
    def __init__(self, progress: Progress, total: int | None) -> None:
        self._progress = progress
        self._task = progress.add_task("rows", total=total, rate="")

    def advance(self, rows: int) -> None:
        self._progress.advance(self._task, rows)
        speed = self._progress.tasks[0].speed
        self._progress.update(self._task, rate=f"{speed:,.0f} rows/s" if speed else "")

    def set_total(self, total: int) -> None:
        self._progress.update(self._task, total=total)


@contextmanager
def row_progress(label: str, total: int | None, *, disabled: bool) -> Iterator[RowProgress]:
    columns = (
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=disabled, transient=False) as progress:
        yield RowProgress(progress, total)
