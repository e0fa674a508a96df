from __future__ import annotations

import uuid

import pytest

from hedgerow.persons.ids import PERSON_NAMESPACE, person_uuid


@pytest.mark.parametrize("distinct_id", ["alice", "", "ünïcödé 🦔", "x" * 200, "1:2"])
def test_person_uuid_is_uuid5_of_project_and_distinct_id(distinct_id: str) -> None:
    expected = uuid.uuid5(PERSON_NAMESPACE, f"7:{distinct_id}")
    assert person_uuid(7, distinct_id) == str(expected)
    assert uuid.UUID(person_uuid(7, distinct_id)).version == 5


def test_person_uuid_matches_posthog_for_a_known_id() -> None:
    # uuid5 of PostHog's namespace and "1:alice", as any RFC 4122 implementation computes it.
    assert person_uuid(1, "alice") == str(
        uuid.uuid5(uuid.UUID("932979b4-65c3-4424-8467-0b66ec27bc22"), "1:alice")
    )
