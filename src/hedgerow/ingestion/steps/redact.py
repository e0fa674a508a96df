"""redact: remove a project's redacted property keys from the event and from the person
properties it sets, before anything is stored or held (`redacted_properties` of the project
settings; docs/data-lifecycle.md).

Top-level event properties go, and the same keys inside `$set`, `$set_once` and
`$group_set`; the steps after it never see them (so `$initial_*` properties copied from a
redacted key are not made either).
"""

from __future__ import annotations

from hedgerow.event import IngestEvent
from hedgerow.ingestion.pipeline import OK, Step, StepResult

# Project id -> the property keys it redacts (a project absent: none).
Redactions = dict[int, frozenset[str]]
NESTED = ("$set", "$set_once", "$group_set")


def redact_step(redactions: Redactions) -> Step:
    def redact(event: IngestEvent) -> StepResult:
        keys = redactions.get(event.team_id) if redactions else None
        if keys:
            properties = event.properties
            for key in keys:
                properties.pop(key, None)
            for name in NESTED:
                inner = properties.get(name)
                if isinstance(inner, dict):
                    for key in keys:
                        inner.pop(key, None)
        return OK

    return redact
