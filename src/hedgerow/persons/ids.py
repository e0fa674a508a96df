"""Deterministic person ids: UUIDv5 of "<project id>:<distinct_id>" in PostHog's namespace."""

from __future__ import annotations

import uuid

PERSON_NAMESPACE = uuid.UUID("932979b4-65c3-4424-8467-0b66ec27bc22")


def person_uuid(team_id: int, distinct_id: str) -> str:
    return str(uuid.uuid5(PERSON_NAMESPACE, f"{team_id}:{distinct_id}"))
