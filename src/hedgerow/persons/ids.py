"""Deterministic person ids: UUIDv5 of "<project id>:<distinct_id>" in PostHog's namespace."""

from __future__ import annotations

import hashlib
import uuid

PERSON_NAMESPACE = uuid.UUID("932979b4-65c3-4424-8467-0b66ec27bc22")
_NAMESPACE_BYTES = PERSON_NAMESPACE.bytes


def person_uuid(team_id: int, distinct_id: str) -> str:
    """The same value as `str(uuid.uuid5(PERSON_NAMESPACE, ...))`, without UUID objects."""
    digest = bytearray(
        hashlib.sha1(_NAMESPACE_BYTES + f"{team_id}:{distinct_id}".encode()).digest()[:16]
    )
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
