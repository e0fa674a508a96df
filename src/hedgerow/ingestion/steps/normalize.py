"""normalize: event name limits and the `$elements_chain` column.

Older posthog-js versions send an `$elements` array instead of the `$elements_chain` string;
both end up as the same `elements_chain` column, in PostHog's exact string format.
"""

from __future__ import annotations

from hedgerow.capture.elements import elements_chain_from_elements
from hedgerow.event import IngestEvent
from hedgerow.ingestion.outcomes import WarningType
from hedgerow.ingestion.pipeline import OK, Step, StepResult, WarningSink

MAX_EVENT_NAME = 200


def normalize_step(warnings: WarningSink) -> Step:
    def normalize(event: IngestEvent) -> StepResult:
        if len(event.event) > MAX_EVENT_NAME:
            warnings.warn(event, WarningType.EVENT_NAME_TRUNCATED, length=len(event.event))
            event.event = event.event[:MAX_EVENT_NAME]
        chain = event.properties.get("$elements_chain")
        if isinstance(chain, str):
            event.elements_chain = chain
        else:
            elements = event.properties.get("$elements")
            if isinstance(elements, list) and elements:
                event.elements_chain = elements_chain_from_elements(elements)
        return OK

    return normalize
