"""The `erased` step drops an erased distinct id's events captured up to the erasure (not
later ones, not other projects'); the `redact` step removes a project's keys from the event
and its person operations, and nothing of other projects."""

from __future__ import annotations

from typing import Any

from hedgerow.event import IngestEvent
from hedgerow.ingestion.outcomes import DiscardReason
from hedgerow.ingestion.pipeline import OK, Drop
from hedgerow.ingestion.steps.erased import Tombstones, erased_step
from hedgerow.ingestion.steps.redact import Redactions, redact_step

ERASED_AT = "2026-11-24 10:00:00.000000"


def _event(team_id: int, distinct_id: str, now: str, **properties: Any) -> IngestEvent:
    return IngestEvent(team_id, "u", "e", distinct_id, dict(properties), now, now)


def test_erased_drops_what_was_captured_up_to_the_erasure() -> None:
    tombstones: Tombstones = {}
    step = erased_step(tombstones)
    assert step(_event(1, "alice", ERASED_AT)) is OK  # no erasure in progress
    tombstones[(1, "alice")] = ERASED_AT
    assert step(_event(1, "alice", "2026-11-24 09:59:59.999999")) == Drop(
        DiscardReason.PERSON_ERASED
    )
    assert step(_event(1, "alice", ERASED_AT)) == Drop(DiscardReason.PERSON_ERASED)
    assert step(_event(1, "alice", "2026-11-24 10:00:00.000001")) is OK  # a new person
    assert step(_event(2, "alice", "2026-11-24 09:00:00.000000")) is OK  # another project
    assert step(_event(1, "bob", "2026-11-24 09:00:00.000000")) is OK


def test_redact_removes_the_keys_from_the_event_and_its_person_operations() -> None:
    redactions: Redactions = {1: frozenset({"email", "$ip"})}
    step = redact_step(redactions)
    event = _event(
        1,
        "alice",
        ERASED_AT,
        email="a@x",
        plan="pro",
        **{
            "$ip": "10.0.0.1",
            "$set": {"email": "a@x", "name": "Alice"},
            "$set_once": {"email": "first@x"},
            "$group_set": {"email": "team@x", "size": 3},
            "$unset": ["email"],
        },
    )
    assert step(event) is OK
    assert event.properties == {
        "plan": "pro",
        "$set": {"name": "Alice"},
        "$set_once": {},
        "$group_set": {"size": 3},
        "$unset": ["email"],
    }
    other = _event(2, "alice", ERASED_AT, email="a@x", **{"$ip": "10.0.0.1"})
    assert step(other) is OK
    assert other.properties == {"email": "a@x", "$ip": "10.0.0.1"}
