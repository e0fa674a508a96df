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

    PERSONLESS_IDENTITY = "invalid_event_when_process_person_profile_is_false"
    """An identity or group event sent with `$process_person_profile: false`."""

    COOKIELESS_PROJECT_DISABLED = "cookieless_project_disabled"
    """Sent in cookieless mode (`$cookieless_mode: true`) to a project whose
    `cookieless_server_hash_mode` is 0 (off)."""

    COOKIELESS_UNSUPPORTED_EVENT = "cookieless_unsupported_event"
    """`$create_alias` or `$merge_dangerously` sent in cookieless mode."""

    COOKIELESS_STATELESS_IDENTIFY = "cookieless_stateless_identify"
    """`$identify` sent in cookieless mode to a project in stateless mode (1)."""

    COOKIELESS_MISSING_USER_AGENT = "cookieless_missing_user_agent"
    """A cookieless event without `$raw_user_agent`, which the visitor hash needs."""

    COOKIELESS_MISSING_IP = "cookieless_missing_ip"
    """A cookieless event without `$ip`, which the visitor hash needs."""

    COOKIELESS_MISSING_HOST = "cookieless_missing_host"
    """A cookieless event without `$host`, which the visitor hash needs."""

    COOKIELESS_TIMESTAMP_OUT_OF_RANGE = "cookieless_timestamp_out_of_range"
    """A cookieless event of a day whose salt is already destroyed (or not yet begun
    anywhere): it can no longer be hashed (docs/web-analytics.md#cookieless-counting)."""

    PERSON_ERASED = "person_erased"
    """The event's person was erased with its events after the event was captured (before
    it was stored): it goes with the rest of them."""


class WarningType(StrEnum):
    """Ingestion warnings that do not discard the event."""

    EVENT_NAME_TRUNCATED = "event_name_truncated"
    INVALID_PROCESS_PERSON_PROFILE = "invalid_process_person_profile"
    CANNOT_MERGE_WITH_ILLEGAL_DISTINCT_ID = "cannot_merge_with_illegal_distinct_id"
    CANNOT_MERGE_ALREADY_IDENTIFIED = "cannot_merge_already_identified"
    GROUP_TYPE_LIMIT = "group_type_limit"
    INVALID_GROUP_IDENTIFY = "invalid_group_identify"
