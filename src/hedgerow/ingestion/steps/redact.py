"""redact: remove a project's redacted property keys from the event and from the person
properties it sets, before anything is stored or held (`redacted_properties` of the project
settings; docs/data-lifecycle.md).

Top-level event properties go, and the same keys inside `$set`, `$set_once` and
`$group_set`; the steps after it never see them (so `$initial_*` properties copied from a
redacted key are not made either). A project that discards client IP data
(`anonymize_ips`) redacts `$ip` too. It runs after the GeoIP and bot steps, which read
`$ip` and the user agent first.
"""

from __future__ import annotations

from hedgerow.event import IngestEvent
from hedgerow.ingestion.pipeline import OK, Step, StepResult
from hedgerow.projects import Project

# Project id -> the property keys it redacts (a project absent: none).
Redactions = dict[int, frozenset[str]]
NESTED = ("$set", "$set_once", "$group_set")
CLIENT_IP = "$ip"


def redacted_keys(project: Project) -> frozenset[str]:
    """What the step removes from the project's events: its redacted properties, and `$ip`
    when it discards client IP data."""
    keys = frozenset(project.redacted_properties)
    return keys | {CLIENT_IP} if project.anonymize_ips else keys


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
