"""validate: refuse events that cannot be stored as they are."""

from __future__ import annotations

from hedgerow.event import IngestEvent
from hedgerow.ingestion.outcomes import DiscardReason
from hedgerow.ingestion.pipeline import OK, Drop, Step, StepResult

MAX_DISTINCT_ID = 200


def validate_step() -> Step:
    def validate(event: IngestEvent) -> StepResult:
        if not event.distinct_id.strip() or len(event.distinct_id) > MAX_DISTINCT_ID:
            return Drop(DiscardReason.INVALID_DISTINCT_ID, {"length": len(event.distinct_id)})
        return OK

    return validate
