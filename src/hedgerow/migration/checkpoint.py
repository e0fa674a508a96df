"""Where a migration has got to: `migrate-to-servers.json` in the embedded data directory.

Written whole to a temporary file, made durable and renamed over the old one after every
window the servers have committed, so that a migration killed at any moment continues, when
run again, with the window after the last one recorded. The window in flight when it died
is copied again: PostgreSQL rows are inserted with `ON CONFLICT DO NOTHING`, ClickHouse
windows carry the same deduplication token each time (`clickhouse_copy.py`), so it is stored
once either way.

The checkpoint names its targets (URLs without their passwords): a run with other targets is
refused rather than continued into them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from hedgerow.durable_file import replace_durably

CHECKPOINT_FILE = "migrate-to-servers.json"


@dataclass
class Checkpoint:
    persons_url: str  # the target, without its password ('' when the persons stay)
    events_url: str  # likewise for the events
    window_rows: int
    app_tables_done: bool = False
    # persons' tables: table -> the primary key of the last row copied (None: from the start)
    person_keys: dict[str, list[Any] | None] = field(default_factory=dict)
    persons_done: bool = False
    # the events' windows (`event_windows.Window` as lists), planned once; the next to copy
    event_windows: list[list[Any]] | None = None
    next_event_window: int = 0
    # ClickHouse's other tables: table -> [next window, windows]
    event_tables: dict[str, list[int]] = field(default_factory=dict)
    event_tables_done: bool = False
    sessions_done: bool = False
    finished: bool = False


class CheckpointFile:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / CHECKPOINT_FILE

    def load(self) -> Checkpoint | None:
        try:
            raw = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        return Checkpoint(**raw)

    def save(self, checkpoint: Checkpoint) -> None:
        replace_durably(self.path, orjson.dumps(asdict(checkpoint)))
