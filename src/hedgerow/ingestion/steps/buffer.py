"""buffer: hold back events of identified users who have no person yet.

A backend often reports a sign-up for `alice@example.com` a moment before the browser's
`$identify` tells that alice is the anonymous visitor `XYZ`. Processed at once, the sign-up
would create a second person for alice. Held back for `--buffer-delay` seconds (counted from
capture), it is processed after the `$identify` and lands on the visitor's person.

An event is held when its distinct_id is not its `$device_id` (it is not anonymous), it is
not an identity or group event, and its distinct_id has no person yet. Once an id has events
held, its later events are held behind them so that one id's events keep their order.
A cookieless visitor's derived id counts as anonymous (its `$device_id` differs by design).
Released events go through the steps again, this one excepted. Imported history (records
marked `history` by `hedgerow import`) is never held: its file gives the order.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hedgerow.cookieless import DISTINCT_PREFIX, FLAG
from hedgerow.event import IngestEvent
from hedgerow.ingestion.pipeline import OK, Delay, Step, StepResult
from hedgerow.persons.identity import IDENTITY_EVENTS
from hedgerow.persons.store import PersonStore

NEVER_HELD = IDENTITY_EVENTS | {"$groupidentify"}

# (project, distinct_id) -> (events held, latest release time)
BufferIndex = dict[tuple[int, str], tuple[int, float]]


def captured_at(event: IngestEvent) -> float:
    return datetime.fromisoformat(event.now).replace(tzinfo=UTC).timestamp()


def _cookieless_visitor(event: IngestEvent) -> bool:
    """A cookieless visitor's derived id (steps/cookieless.py) is anonymous too."""
    return event.properties.get(FLAG) is True and event.distinct_id.startswith(DISTINCT_PREFIX)


def buffer_step(persons: PersonStore, delay: float, held: BufferIndex) -> Step:
    def buffer(event: IngestEvent) -> StepResult:
        if delay <= 0 or event.released or event.event in NEVER_HELD:
            return OK
        key = (event.team_id, event.distinct_id)
        waiting = held.get(key)
        if waiting is None:
            properties = event.properties
            if properties.get("$process_person_profile") is False:
                return OK
            if event.distinct_id == properties.get("$device_id") or _cookieless_visitor(event):
                return OK
            if persons.get_by_distinct_id(event.team_id, event.distinct_id) is not None:
                return OK
        release_at = captured_at(event) + delay
        count = 0
        if waiting is not None:
            count, latest = waiting
            release_at = max(release_at, latest)
        held[key] = (count + 1, release_at)
        return Delay(release_at)

    return buffer
