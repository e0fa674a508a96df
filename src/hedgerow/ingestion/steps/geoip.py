"""geoip: where the event was sent from, from its `$ip`, as PostHog's GeoIP transformation
does (docs/web-analytics.md#where-visitors-are).

An event with `$geoip_disable` true, no `$ip`, or an address the database does not place
(private, loopback, reserved, unknown) is left as it is. Otherwise the fields found are set
as `$geoip_<field>` on the event, replacing values it had; the person gets them in `$set`
(`$geoip_<field>`, with null for the other fields the database could have given, so a
person's location never mixes two lookups) and in `$set_once` (`$initial_geoip_<field>`),
also replacing what the event had there. Events that touch no person (personless ones,
`$snapshot`, `$exception`, ...) get no person operations. It runs before `redact`, which
then drops `$ip` when the project discards client IP data.
"""

from __future__ import annotations

from typing import Protocol

from hedgerow.event import IngestEvent
from hedgerow.geoip.database import Location
from hedgerow.ingestion.pipeline import OK, Step, StepResult
from hedgerow.ingestion.steps.initial_properties import SKIPPED_EVENTS


class Locator(Protocol):
    def locate(self, ip: str) -> Location | None: ...


def geoip_step(locator: Locator) -> Step:
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
        _merge(properties, "$set", location.person_set)
        _merge(properties, "$set_once", location.person_set_once)
        return OK

    return geoip


def _merge(properties: dict[str, object], operation: str, values: dict[str, object]) -> None:
    current = properties.get(operation)
    if current is None:
        properties[operation] = dict(values)
    elif isinstance(current, dict):
        current.update(values)
