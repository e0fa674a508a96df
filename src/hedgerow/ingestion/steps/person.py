"""person: apply identity events, find or create the event's person, apply its property
operations, and stamp the person on the event.

Identity events (`$identify`, `$create_alias`, `$merge_dangerously`) first unite their two
distinct ids (see `persons/identity.py`); a refused merge leaves a warning and the event goes
on. Then `$set_once`, `$set` and `$unset` apply, in event order. Events with
`$process_person_profile: false` create no person: they carry the deterministic id (or the
person the id already has), and identity events sent that way are discarded.
"""

from __future__ import annotations

from typing import Any

from hedgerow.event import EPOCH_MARKER, IngestEvent
from hedgerow.geoip.database import FIELDS as GEOIP_FIELDS
from hedgerow.ingestion.outcomes import DiscardReason, WarningType
from hedgerow.ingestion.pipeline import OK, Drop, Step, StepResult, WarningSink
from hedgerow.persons.identity import IDENTITY_EVENTS, other_id, unite
from hedgerow.persons.ids import person_uuid
from hedgerow.persons.store import Person, PersonStore

PERSONLESS_REFUSED = IDENTITY_EVENTS | {"$groupidentify"}


# Properties that change on nearly every event of a browsing person. A change to these alone
# updates the person in memory (and on the event) without writing it, as PostHog does; the
# next other change, or an identity or `$set` event, writes them too.
NOISY = frozenset(
    {
        "$current_url",
        "$pathname",
        "$referrer",
        "$referring_domain",
        "$screen_height",
        "$screen_width",
        "$viewport_height",
        "$viewport_width",
        "$browser",
        "$browser_version",
        "$device_type",
        "$os",
        "$os_version",
        "$raw_user_agent",
    }
    # PostHog writes a person for a new country or city name, not for the other GeoIP fields.
    | {f"$geoip_{name}" for name in GEOIP_FIELDS if name not in ("country_name", "city_name")}
)
ALWAYS_WRITTEN = IDENTITY_EVENTS | {"$set"}
SNAPSHOTS = 100_000  # most persons whose last snapshot is remembered


def apply_property_operations(current: dict[str, Any], properties: dict[str, Any]) -> set[str]:
    """Apply `$set_once`, `$set` then `$unset` from event properties; return the keys changed.

    Most events of a known person change nothing (the same `$initial_*` and device
    properties every time): that case is answered by comparing dictionary views in C; so is
    a new person's first event, whose keys are all new."""
    changed: set[str] = set()
    set_once = properties.get("$set_once")
    if isinstance(set_once, dict) and not set_once.keys() <= current.keys():
        if current.keys().isdisjoint(set_once):  # a new person's first event: all new, in C
            current.update(set_once)
            changed.update(set_once)
        else:
            for key, value in set_once.items():
                if key not in current:
                    current[key] = value
                    changed.add(key)
    set_ = properties.get("$set")
    if isinstance(set_, dict) and not set_.items() <= current.items():
        if current.keys().isdisjoint(set_):
            current.update(set_)
            changed.update(set_)
        else:
            for key, value in set_.items():
                if key not in current or current[key] != value:
                    current[key] = value
                    changed.add(key)
    unset = properties.get("$unset")
    keys = list(unset) if isinstance(unset, list | dict) else []
    for key in keys:
        if isinstance(key, str) and key in current:
            del current[key]
            changed.add(key)
    return changed


def person_step(persons: PersonStore, warnings: WarningSink) -> Step:
    def personless(event: IngestEvent) -> StepResult:
        if event.event in PERSONLESS_REFUSED:
            return Drop(DiscardReason.PERSONLESS_IDENTITY, {"event": event.event})
        existing = persons.get_by_distinct_id(event.team_id, event.distinct_id)
        if existing is not None:
            # The id already has a person: count the event there, change nothing on it.
            event.person_id = existing.id
            event.person_idx = existing.idx
            event.person_properties = dict(existing.properties)
            event.person_created_at = existing.created_at
            event.person_mode = "force_upgrade"
            return OK
        persons.mark_personless(event.team_id, event.distinct_id)
        event.person_id = person_uuid(event.team_id, event.distinct_id)
        event.person_idx = persons.index_of(event.person_id)
        event.person_properties = {}
        event.person_created_at = EPOCH_MARKER
        event.person_mode = "propertyless"
        return OK

    # person id -> (the person's properties dict, the snapshot events carry): events of a
    # person that change nothing share one snapshot, which the event store serializes once.
    snapshots: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}

    def snapshot(found: Person, unchanged: bool) -> dict[str, Any]:
        known = snapshots.get(found.id)
        if unchanged and known is not None and known[0] is found.properties:
            return known[1]
        if len(snapshots) >= SNAPSHOTS:
            snapshots.clear()
        copy = dict(found.properties)
        snapshots[found.id] = (found.properties, copy)
        return copy

    def person(event: IngestEvent) -> StepResult:
        flag = event.properties.get("$process_person_profile", True)
        if not isinstance(flag, bool):
            warnings.warn(event, WarningType.INVALID_PROCESS_PERSON_PROFILE, value=str(flag))
            flag = True
        if flag is False:
            return personless(event)
        other = other_id(event.event, event.properties)
        if other is not None:
            outcome = unite(
                persons,
                event.team_id,
                event.distinct_id,
                other,
                dangerous=event.event == "$merge_dangerously",
                created_at=event.timestamp,
            )
            if outcome.refusal is not None:
                warnings.warn(
                    event,
                    WarningType(outcome.refusal.value),
                    distinct_id=event.distinct_id,
                    other_distinct_id=other,
                )
        found = persons.get_by_distinct_id(event.team_id, event.distinct_id)
        unchanged = other is None
        if found is None:
            properties: dict[str, Any] = {}
            apply_property_operations(properties, event.properties)
            found = persons.create(
                event.team_id,
                event.distinct_id,
                properties=properties,
                created_at=event.timestamp,
            )
        else:
            changed = apply_property_operations(found.properties, event.properties)
            if changed and (event.event in ALWAYS_WRITTEN or not changed <= NOISY):
                persons.update_properties(found)
            unchanged = unchanged and not changed
        event.person_id = found.id
        event.person_idx = found.idx
        event.person_properties = snapshot(found, unchanged)
        event.person_created_at = found.created_at
        event.person_mode = "full"
        return OK

    return person
