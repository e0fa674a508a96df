"""Why an event did not reach the store: one reason per discarded event, from one enum.

`docs/discard-reasons.md` documents every member; a test fails when one is missing there.
"""

from __future__ import annotations

from enum import StrEnum


class DiscardReason(StrEnum):
    INVALID_RECORD = "invalid_record"
    """The intake entry could not be read back as events (should never happen)."""

    INVALID_DISTINCT_ID = "invalid_distinct_id"
    """The distinct_id was empty or longer than the limit after normalization."""

    DUPLICATE_EVENT = "duplicate_event"
    """An event with the same uuid is already stored for this project."""


class WarningType(StrEnum):
    """Ingestion warnings that do not discard the event."""

    EVENT_NAME_TRUNCATED = "event_name_truncated"
    INVALID_PROCESS_PERSON_PROFILE = "invalid_process_person_profile"
