"""geoip: where the event was sent from, from its `$ip`, as PostHog's GeoIP transformation
does (docs/web-analytics.md#where-visitors-are).

An event with `$geoip_disable` true, no `$ip`, or an address the database does not place
(private, loopback, reserved, unknown) is left as it is. Otherwise the fields found are set
as `$geoip_<field>` on the event, replacing values it had; the person gets them in `$set`
(`$geoip_<field>`, with null for the other fields the database could have given, so a
person's location never mixes two lookups) and in `$set_once` (`$initial_geoip_<field>`),
also replacing what the event had there. Events that touch no person (personless ones,
`$snapshot`, `$exception`, ...) get no person operations, and neither do events whose
person already has every one of those values (`_person_has`): applying them would change
nothing. It runs before `redact`, which then drops `$ip` when the project discards client
IP data.
"""

from __future__ import annotations

from typing import Any, Protocol

from hedgerow.cookieless import FLAG as COOKIELESS_FLAG
from hedgerow.cookieless import SENTINEL as COOKIELESS_ID
from hedgerow.event import IngestEvent
from hedgerow.geoip.database import Location
from hedgerow.ingestion.pipeline import OK, Step, StepResult
from hedgerow.ingestion.steps.initial_properties import SKIPPED_EVENTS
from hedgerow.persons.identity import IDENTITY_EVENTS
from hedgerow.persons.store import Person


class Locator(Protocol):
    def locate(self, ip: str) -> Location | None: ...


class PersonLookup(Protocol):
    def get_by_distinct_id(self, team_id: int, distinct_id: str) -> Person | None: ...


def geoip_step(locator: Locator, persons: PersonLookup | None = None) -> Step:
    """With `persons` (the store, inside the batch's transaction), the person operations
    are left off events whose person already has their values."""

    def geoip(event: IngestEvent) -> StepResult:
        properties = event.properties
        ip = properties.get("$ip")
        if not ip or not isinstance(ip, str) or properties.get("$geoip_disable"):
            return OK
        location = locator.locate(ip)
        if location is None:
            return OK
        properties.update(location.properties)
        if event.event in SKIPPED_EVENTS or properties.get("$process_person_profile") is False:
            return OK
        if persons is not None and _person_has(persons, event, location):
            return OK
        _merge(properties, "$set", location.person_set)
        _merge(properties, "$set_once", location.person_set_once)
        return OK

    return geoip


def _person_has(persons: PersonLookup, event: IngestEvent, location: Location) -> bool:
    """Whether the event's person already has every value the location sets, and the event
    itself sets none of those keys, so that the operations would change nothing. Identity
    events (whose person the merge decides) and cookieless ones (whose id the `cookieless`
    step gives later) are never answered yes."""
    properties = event.properties
    if event.event in IDENTITY_EVENTS or event.distinct_id == COOKIELESS_ID:
        return False
    if properties.get(COOKIELESS_FLAG):
        return False
    for operation, values in (
        ("$set", location.person_set),
        ("$set_once", location.person_set_once),
    ):
        sent = properties.get(operation)
        if isinstance(sent, dict) and not sent.keys().isdisjoint(values):
            return False
    person = persons.get_by_distinct_id(event.team_id, event.distinct_id)
    if person is None:
        return False
    current: dict[str, Any] = person.properties
    return (
        location.person_set.items() <= current.items()
        and location.person_set_once.keys() <= current.keys()
    )


def _merge(properties: dict[str, object], operation: str, values: dict[str, object]) -> None:
    current = properties.get(operation)
    if current is None:
        properties[operation] = dict(values)
    elif isinstance(current, dict):
        current.update(values)
