"""cookieless: give events sent in cookieless mode their visitor's ids, then forget the IP.

posthog-js (and hedgerow.js) in `cookieless_mode` store nothing in the browser: events carry
`$cookieless_mode: true`, the distinct_id `$posthog_cookieless` (before any identify) and no
`$device_id` or `$session_id`. This step derives them from a hash of the day's salt with the
project id, `$ip`, the root domain of `$host`, `$raw_user_agent` and `$cookieless_extra`
(cookieless/hashing.py), as PostHog's ingestion does, and removes `$ip`, the raw user agent
and the extra value from the event. The project's `cookieless_server_hash_mode` decides:
0 drops such events, 1 (stateless) gives one id and one session per visitor and day and
drops `$identify`, 2 (stateful) keeps 30-minute sessions and lets a visitor identify.
`$create_alias` and `$merge_dangerously` are dropped in both modes.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hedgerow.cookieless import EXTRA, FLAG, SENTINEL, Mode
from hedgerow.cookieless.days import day_of, day_usable, local_start_of_day, salt_expiry
from hedgerow.cookieless.domains import root_domain
from hedgerow.cookieless.hashing import device_id_of, distinct_id_of, visitor_hash
from hedgerow.cookieless.ids import uuid7_from
from hedgerow.cookieless.store import CookielessStore, Session
from hedgerow.event import IngestEvent
from hedgerow.ingestion.outcomes import DiscardReason
from hedgerow.ingestion.pipeline import OK, Drop, Step, StepResult

SESSION_INACTIVITY_MS = 30 * 60 * 1000
# Project id -> (cookieless_server_hash_mode, time zone), None for an unknown project.
ProjectModes = Callable[[int], tuple[int, str] | None]
REQUIRED = (
    ("$raw_user_agent", DiscardReason.COOKIELESS_MISSING_USER_AGENT),
    ("$ip", DiscardReason.COOKIELESS_MISSING_IP),
    ("$host", DiscardReason.COOKIELESS_MISSING_HOST),
)


def is_cookieless(event: IngestEvent) -> bool:
    return event.properties.get(FLAG) is True


def cookieless_step(store: CookielessStore, modes: ProjectModes) -> Step:
    def cookieless(event: IngestEvent) -> StepResult:
        properties = event.properties
        if properties.get(FLAG) is not True or event.released:
            return OK  # released from the buffer: derived before it was held
        mode, zone = modes(event.team_id) or (Mode.OFF, "UTC")
        if event.event in ("$create_alias", "$merge_dangerously"):
            return Drop(DiscardReason.COOKIELESS_UNSUPPORTED_EVENT, {"event": event.event})
        if mode == Mode.STATELESS and event.event == "$identify":
            return Drop(DiscardReason.COOKIELESS_STATELESS_IDENTIFY)
        if mode not in (Mode.STATELESS, Mode.STATEFUL):
            return Drop(DiscardReason.COOKIELESS_PROJECT_DISABLED)
        for key, reason in REQUIRED:
            if not isinstance(properties.get(key), str) or not properties[key]:
                return Drop(reason, {"missing_property": key})
        timestamp = datetime.fromisoformat(event.timestamp).replace(tzinfo=UTC)
        day = day_of(timestamp, properties.get("$timezone"), zone)
        if not day_usable(day, store.clock(), store.max_lag):
            return Drop(DiscardReason.COOKIELESS_TIMESTAMP_OUT_OF_RANGE, {"day": day})
        salt = store.salt(day)
        inputs = (
            event.team_id,
            properties["$ip"],
            root_domain(properties["$host"]),
            properties["$raw_user_agent"],
        )
        extra = properties.get(EXTRA)
        extra_text = extra if isinstance(extra, str) else ""
        base = visitor_hash(salt, *inputs, 0, extra_text)
        if mode == Mode.STATELESS:
            start = local_start_of_day(timestamp, properties.get("$timezone"), zone)
            session_id = uuid7_from(int(start.timestamp() * 1000), base[:10])
            distinct_id = distinct_id_of(base)
            properties["$distinct_id"] = distinct_id
            event.distinct_id = distinct_id
        else:
            expires = salt_expiry(day, store.max_lag)
            seen = store.identifies(event.team_id, base)
            if event.event == "$identify":
                n = len(seen) - (1 if event.uuid in seen else 0)
            elif event.distinct_id == SENTINEL:
                n = len(seen)
            else:  # identified already: the hash from before this visitor identified
                n = max(len(seen) - 1, 0)
            digest = visitor_hash(salt, *inputs, n, extra_text)
            if event.event == "$identify":
                store.add_identify(event.team_id, base, event.uuid, expires)
            session_id = _stateful_session(store, event.team_id, digest, timestamp, expires)
            distinct_id = distinct_id_of(digest)
            properties.pop("$distinct_id", None)
            if event.event == "$identify":
                properties["$anon_distinct_id"] = distinct_id
            elif event.distinct_id == SENTINEL:
                event.distinct_id = distinct_id
        properties["$device_id"] = device_id_of(base)
        properties["$session_id"] = session_id
        _forget_identifying(properties)
        return OK

    return cookieless


def _stateful_session(
    store: CookielessStore, team_id: int, digest: bytes, timestamp: datetime, expires: float
) -> str:
    """The visitor's session, a new one after 30 minutes without events (counted on event
    times, not arrival times, so that ingestion lag does not split sessions)."""
    ms = int(timestamp.timestamp() * 1000)
    session = store.session(team_id, digest)
    if session is None or ms - session.last_activity_ms > SESSION_INACTIVITY_MS:
        session = Session(uuid7_from(ms), ms)
    else:
        session = Session(session.session_id, max(ms, session.last_activity_ms))
    store.save_session(team_id, digest, session, expires)
    return session.session_id


def _forget_identifying(properties: dict[str, Any]) -> None:
    """What went into the hash is not stored (PostHog removes the same keys)."""
    for key in ("$ip", "$raw_user_agent", EXTRA):
        properties.pop(key, None)
    for name, key in (("$set", "$raw_user_agent"), ("$set_once", "$initial_raw_user_agent")):
        inner = properties.get(name)
        if isinstance(inner, dict):
            inner.pop(key, None)
