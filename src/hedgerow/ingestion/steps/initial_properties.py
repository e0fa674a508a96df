"""initial_properties: lift device and campaign properties onto the person.

Each property from `PERSON_PROPERTIES` that the event carries goes into its `$set` (latest
touch) and, when not null, into its `$set_once` as `$initial_<name>` (first touch), never
overriding what the event sets itself. The person step then applies them like any other
property operation. The additions stay on the stored event, as they do in PostHog.
"""

from __future__ import annotations

from typing import Any

from hedgerow.event import IngestEvent
from hedgerow.ingestion.pipeline import OK, Step, StepResult

PERSON_PROPERTIES = (
    "$app_build",
    "$app_name",
    "$app_namespace",
    "$app_version",
    "$browser",
    "$browser_version",
    "$device_type",
    "$current_url",
    "$pathname",
    "$os",
    "$os_name",
    "$os_version",
    "$referring_domain",
    "$referrer",
    "$screen_height",
    "$screen_width",
    "$viewport_height",
    "$viewport_width",
    "$raw_user_agent",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_content",
    "utm_name",
    "utm_term",
    "gclid",
    "gad_source",
    "gclsrc",
    "dclid",
    "gbraid",
    "wbraid",
    "fbclid",
    "msclkid",
    "twclid",
    "li_fat_id",
    "mc_cid",
    "igshid",
    "ttclid",
    "rdt_cid",
    "irclid",
    "_kx",
    "epik",
    "qclid",
    "sccid",
)

# `$browser` -> `$initial_browser`, `utm_source` -> `$initial_utm_source`, ...
INITIAL = {key: f"$initial_{key.removeprefix('$')}" for key in PERSON_PROPERTIES}
_LIFTED = frozenset(PERSON_PROPERTIES)
_ORDER = {key: index for index, key in enumerate(PERSON_PROPERTIES)}

SKIPPED_EVENTS = frozenset(
    {"$snapshot", "$performance_event", "$exception", "$$heatmap", "$groupidentify"}
)

# A server SDK's operating system is the server's, not the user's.
SERVER_OS_PROPERTIES = frozenset({"$os", "$os_version", "$os_name"})


def initial_properties_step() -> Step:
    def initial_properties(event: IngestEvent) -> StepResult:
        properties = event.properties
        if event.event in SKIPPED_EVENTS or properties.get("$process_person_profile") is False:
            return OK
        lifted = person_properties_of(properties)
        _add_missing(properties, "$set", lifted)
        _add_missing(
            properties,
            "$set_once",
            {INITIAL[key]: value for key, value in lifted.items() if value is not None},
        )
        return OK

    return initial_properties


def person_properties_of(properties: dict[str, Any]) -> dict[str, Any]:
    """The listed properties the event carries, with `$os_name` folded into `$os`."""
    present = _LIFTED.intersection(properties)  # in C: the event has ~30 keys, the list 44
    if not present:
        return {}
    is_server = properties.get("$is_server") is True
    lifted = {
        key: properties[key]
        for key in sorted(present, key=_ORDER.__getitem__)
        if not (is_server and key in SERVER_OS_PROPERTIES)
    }
    os_name = lifted.pop("$os_name", None)
    if os_name is not None and lifted.get("$os") is None:
        lifted["$os"] = os_name
    return lifted


def _add_missing(properties: dict[str, Any], operation: str, additions: dict[str, Any]) -> None:
    """Add to `properties[operation]` the keys it lacks; a non-object operation is left as is."""
    if not additions:
        return
    current = properties.get(operation)
    if current is None:
        properties[operation] = dict(additions)
    elif isinstance(current, dict):
        if current.keys().isdisjoint(additions):  # the usual case (GeoIP's keys), in C
            current.update(additions)
            return
        for key, value in additions.items():
            current.setdefault(key, value)
