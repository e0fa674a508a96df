"""The server's clock for capture times and cookieless salts: the real time, or, for tests
only, the real time moved to start at a fixed instant (`--test-clock-start`), so that a test
can restart the server on the next day without waiting for it (docs/settings.md)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

Clock = Callable[[], float]  # seconds since the epoch


def clock_from_setting(start: str) -> Clock:
    """`time.time` when `start` is empty; else a clock that reads `start` (an ISO 8601
    instant) at this call and runs on at the real pace from there."""
    if not start:
        return time.time
    offset = parse_instant(start) - time.time()
    return lambda: time.time() + offset


def parse_instant(text: str) -> float:
    """An ISO 8601 instant with its offset (`2026-03-10T13:00:00Z`) in epoch seconds."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no UTC offset; write e.g. 2026-03-10T13:00:00Z")
    return moment.timestamp()
