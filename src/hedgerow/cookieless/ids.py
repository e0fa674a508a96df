"""Session ids of cookieless visitors: UUIDv7 strings built from a time and 10 given bytes.

Stateless mode (PostHog's rule): the time is the start of the visitor's day and the bytes are
the first 10 of the visitor's base hash, so one visitor has one session a day without any
state. Stateful mode: the time of the session's first event and random bytes.
"""

from __future__ import annotations

import secrets


def uuid7_from(ms: int, rand: bytes | None = None) -> str:
    """UUIDv7: 48 bits of milliseconds, then the 10 bytes with the version and variant
    bits set over them."""
    data = bytearray((ms & 0xFFFF_FFFF_FFFF).to_bytes(6, "big") + (rand or secrets.token_bytes(10)))
    if len(data) != 16:
        raise ValueError("a UUIDv7 takes 10 bytes after its time")
    data[6] = 0x70 | (data[6] & 0x0F)
    data[8] = 0x80 | (data[8] & 0x3F)
    h = data.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
