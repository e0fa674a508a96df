"""groups: fill the event's group slots and apply `$groupidentify`.

`$groups: {group_type: group_key}` puts each key in the slot of its type's index (0..4, given
per project in order of first appearance). `$groupidentify` with `$group_type`, `$group_key`
and an optional `$group_set` object creates or updates that group. Personless events get no
groups. Nothing here discards an event; problems become warnings.
"""

from __future__ import annotations

from typing import Any

from hedgerow.event import IngestEvent
from hedgerow.ingestion.outcomes import WarningType
from hedgerow.ingestion.pipeline import OK, Step, StepResult, WarningSink
from hedgerow.persons.groups import GroupStore

GROUP_TYPE_LIMIT = WarningType.GROUP_TYPE_LIMIT
INVALID_GROUP_IDENTIFY = WarningType.INVALID_GROUP_IDENTIFY


def groups_step(groups: GroupStore, warnings: WarningSink) -> Step:
    def warn(event: IngestEvent, type: WarningType, **details: Any) -> None:
        warnings.warn(event, type, **details)

    def slot(event: IngestEvent, group_type: str) -> int | None:
        index = groups.type_index(event.team_id, group_type, True)
        if index is None:
            warn(event, GROUP_TYPE_LIMIT, group_type=group_type)
        return index

    def identify(event: IngestEvent) -> None:
        group_type = group_string(event.properties.get("$group_type"))
        key = group_string(event.properties.get("$group_key"))
        if not group_type or not key:
            field = "$group_type" if not group_type else "$group_key"
            warn(event, INVALID_GROUP_IDENTIFY, field=field, value=event.properties.get(field))
            return
        index = slot(event, group_type)
        if index is None:
            return
        group_set = event.properties.get("$group_set")
        properties = group_set if isinstance(group_set, dict) else {}
        groups.upsert(event.team_id, index, key, properties, event.timestamp)
        event.groups[index] = key

    def assign_groups(event: IngestEvent) -> StepResult:
        if event.properties.get("$process_person_profile") is False:
            return OK
        pairs = event.properties.get("$groups")
        if isinstance(pairs, dict):
            for raw_type, raw_key in pairs.items():
                group_type, key = group_string(raw_type), group_string(raw_key)
                if group_type and key and (index := slot(event, group_type)) is not None:
                    event.groups[index] = key
        if event.event == "$groupidentify":
            identify(event)
        return OK

    return assign_groups


def group_string(value: object) -> str:
    """A group type or key as text, written as JavaScript would; "" when it is not a scalar."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return ""
