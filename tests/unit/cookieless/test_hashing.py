"""The visitor hash: PostHog's bytes for the same inputs, and an id that changes with every
input and with the salt, and only with them."""

from __future__ import annotations

import base64

import pytest

from hedgerow.cookieless.domains import root_domain
from hedgerow.cookieless.hashing import (
    device_id_of,
    distinct_id_of,
    siphash128,
    visitor_hash,
)

SALT = base64.b64decode("AQIDBAUGBwgJCgsMDQ4PEA==")  # bytes 1..16
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/58.0.3029.110 Safari/537.3"
)
BASE = {"project_id": 1, "ip": "1.2.3.4", "root_domain": "example.com", "user_agent": CHROME}


def test_siphash128_reference_vector() -> None:
    """The SipHash authors' 128-bit vector for the empty message, key 00..0f, read in the
    byte order PostHog's library gives (32-bit words from last to first)."""
    words = bytes.fromhex("a3817f04ba25a8e66df67214c7550293")
    expected = words[12:16] + words[8:12] + words[4:8] + words[0:4]
    assert siphash128(bytes(range(16)), b"") == expected


@pytest.mark.parametrize(
    ("salt", "changes", "expected"),
    [
        # PostHog's cross-language vectors (ingestion/cookieless/test_cases.json).
        (SALT, {}, "jZfBjkLcdjlQTVmIKIhC3Q=="),
        (base64.b64decode("BBBBBBBBBBBBBBBBBBBBBA=="), {}, "+enbKKNpXkdkAyA7u+VkRA=="),
        (SALT, {"project_id": 3000}, "BiC9Zpcr2Ctyc6mvZh4+lg=="),
        (SALT, {"ip": "5.6.7.8"}, "kmHSjAz71inr4axAIDUN1A=="),
        (SALT, {"root_domain": "other.com"}, "HSTgvTovdKSCZxOWE0fiOA=="),
        (SALT, {"user_agent": "Smart Fridge"}, "sjSJh5qV4gsbEAc2DG6w7g=="),
        (SALT, {"n": 1}, "igaaEDUIUxmCqAaPyFWP7Q=="),
        (SALT, {"extra": "x" * 100}, None),
    ],
)
def test_same_bytes_as_posthog(
    salt: bytes, changes: dict[str, object], expected: str | None
) -> None:
    digest = visitor_hash(salt, **{**BASE, **changes})  # type: ignore[arg-type]
    assert len(digest) == 16
    if expected is not None:
        assert base64.b64encode(digest).decode() == expected


def test_extra_is_cut_to_100_characters() -> None:
    hundred = "a" * 100
    assert visitor_hash(SALT, **BASE, extra=hundred) == visitor_hash(
        SALT, **BASE, extra=hundred + "more"
    )
    assert visitor_hash(SALT, **BASE, extra=hundred) != visitor_hash(SALT, **BASE)


def test_same_inputs_same_id_and_every_input_changes_it() -> None:
    first = distinct_id_of(visitor_hash(SALT, **BASE))
    assert first == distinct_id_of(visitor_hash(SALT, **BASE))
    variants = [
        {"project_id": 2},
        {"ip": "1.2.3.5"},
        {"root_domain": "example.org"},
        {"user_agent": CHROME.replace("58.0", "59.0")},
        {"n": 1},
        {"extra": "tab-1"},
    ]
    ids = {distinct_id_of(visitor_hash(SALT, **{**BASE, **v})) for v in variants}  # type: ignore[arg-type]
    other_day = distinct_id_of(visitor_hash(bytes(16), **BASE))
    assert len(ids | {first, other_day}) == len(variants) + 2


def test_id_formats() -> None:
    digest = base64.b64decode("jZfBjkLcdjlQTVmIKIhC3Q==")
    assert distinct_id_of(digest) == "cookieless_jZfBjkLcdjlQTVmIKIhC3Q"
    assert device_id_of(digest) == "cookielessd_jZfBjkLcdjlQTVmIKIhC3Q"


def test_salt_must_be_16_bytes() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        visitor_hash(b"short", **BASE)


@pytest.mark.parametrize(
    ("host", "root"),
    [
        ("www.example.com", "example.com"),
        ("shop.example.co.uk", "example.co.uk"),
        ("example.com:8443", "example.com:8443"),
        ("https://a.b.example.com/path", "example.com"),
        ("localhost:5173", "127.0.0.1:5173"),
        ("127.0.0.1:8000", "127.0.0.1:8000"),
        ("::1", "[::1]"),
        ("[2001:db8::1]:80", "[2001:db8::1]"),
        ("https://example.com:443", "example.com"),
        ("co.uk", "co.uk"),
        ("", ""),
    ],
)
def test_root_domain(host: str, root: str) -> None:
    assert root_domain(host) == root
