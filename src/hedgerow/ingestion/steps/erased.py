"""erased: drop events of an erased person that were captured before the erasure.

An erasure with its events (`hedgerow.lifecycle`) covers every event of the person's distinct
ids captured up to the moment it ran, including those still in the intake log or the event
buffer then. While the erasure job lasts, it keeps (project, distinct_id) -> that moment
here; an event of such an id captured at or before it is dropped (`person_erased`), a later
one goes on and makes a new person.
"""

from __future__ import annotations

from hedgerow.event import IngestEvent
from hedgerow.ingestion.outcomes import DiscardReason
from hedgerow.ingestion.pipeline import OK, Drop, Step, StepResult

# (project, distinct_id) -> capture time (the events' `now` text) up to which it is erased.
Tombstones = dict[tuple[int, str], str]


def erased_step(tombstones: Tombstones) -> Step:
    def erased(event: IngestEvent) -> StepResult:
        if tombstones:
            until = tombstones.get((event.team_id, event.distinct_id))
            if until is not None and event.now <= until:
                return Drop(DiscardReason.PERSON_ERASED)
        return OK

    return erased
