"""person: find or create the event's person, apply its property operations, stamp it.

This is the simple form: a person per distinct_id, created on first sight with a
deterministic id, `$set_once` / `$set` / `$unset` applied in event order. Events with
`$process_person_profile: false` get the deterministic id and no person.
"""

from __future__ import annotations

from typing import Any

from hedgerow.ingestion.event import EPOCH_MARKER, IngestEvent
from hedgerow.ingestion.outcomes import WarningType
from hedgerow.ingestion.pipeline import OK, Step, StepResult, WarningSink
from hedgerow.persons.ids import person_uuid
from hedgerow.persons.store import PersonStore


def apply_property_operations(current: dict[str, Any], properties: dict[str, Any]) -> bool:
    """Apply `$set_once`, `$set` then `$unset` from event properties; return whether changed."""
    changed = False
    set_once = properties.get("$set_once")
    if isinstance(set_once, dict):
        for key, value in set_once.items():
            if key not in current:
                current[key] = value
                changed = True
    set_ = properties.get("$set")
    if isinstance(set_, dict):
        for key, value in set_.items():
            if key not in current or current[key] != value:
                current[key] = value
                changed = True
    unset = properties.get("$unset")
    keys = list(unset) if isinstance(unset, list | dict) else []
    for key in keys:
        if isinstance(key, str) and key in current:
            del current[key]
            changed = True
    return changed


def person_step(persons: PersonStore, warnings: WarningSink) -> Step:
    def person(event: IngestEvent) -> StepResult:
        flag = event.properties.get("$process_person_profile", True)
        if not isinstance(flag, bool):
            warnings.warn(event, WarningType.INVALID_PROCESS_PERSON_PROFILE, value=str(flag))
            flag = True
        if flag is False:
            event.person_id = person_uuid(event.team_id, event.distinct_id)
            event.person_properties = {}
            event.person_created_at = EPOCH_MARKER
            event.person_mode = "propertyless"
            return OK
        found = persons.get_by_distinct_id(event.team_id, event.distinct_id)
        if found is None:
            properties: dict[str, Any] = {}
            apply_property_operations(properties, event.properties)
            found = persons.create(
                event.team_id,
                event.distinct_id,
                properties=properties,
                created_at=event.timestamp,
            )
        elif apply_property_operations(found.properties, event.properties):
            persons.update_properties(found)
        event.person_id = found.id
        event.person_properties = dict(found.properties)
        event.person_created_at = found.created_at
        event.person_mode = "full"
        return OK

    return person
