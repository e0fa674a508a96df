"""LZ-string base64: checked against vectors produced by the JS library (lz-string 1.5.0)."""

from __future__ import annotations

import contextlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hedgerow.capture.lzstring import (
    OutputTooLarge,
    compress_to_base64,
    decompress_from_base64,
)

REPETITIVE = json.dumps(
    [{"event": "tick", "properties": {"i": i % 3}} for i in range(20)], separators=(",", ":")
)

# LZString.compressToBase64(text) as printed by node with the npm package.
JS_VECTORS = [
    (
        '{"event":"$pageview","properties":{"distinct_id":"user-1","token":"phc_test"}}',
        "N4IgpgbmB2AuIC4QBIAOBDA5pAlmA7iADQioBOA9qmGbHgM6KgAmO9d0AxrAPo7OIQAV3o0AtAEZiIWBQDWMQag"
        "AWnHrDDsQAX21A===",
    ),
    (
        '{"name":"Zoë 漢字 😀🎉"}',
        "N4IgdghgtgpiBcIBaB7A1wAkET2h1bQ4Xg3AAPcB4NwSP2QBfIA=",
    ),
    (
        REPETITIVE,
        "NobwRApgbhB2AuYBcZ4EsDGBrMAaMADgE4D2BER6EAzsuGsgAwC+zu40ciK62ehpcpTQ06YBkgCMrdpBgJkqTDnz"
        "EyFKrST1kAJhkd53JX1WCNIrTqQs2hrot4qB64aO3jk0u3Ic9l/GpCmmIS+j6cCv6mLsGWoUwGvlEmzkEW7tbesp"
        "HGToHmblaeSOE5Ro4BZq4hHhK25X6pBTXxdV5JuZUx6UUJpZ0V0WmFtdYN9in51XGZJdmTeVWxGcVhg03TK33tNh"
        "tTy71j8/tLPaNt1mWL3SOtc/Wnty2zax3MALpAA=",
    ),
]


@pytest.mark.parametrize(("text", "compressed"), JS_VECTORS)
def test_matches_the_js_library(text: str, compressed: str) -> None:
    assert decompress_from_base64(compressed) == text
    assert compress_to_base64(text) == compressed


def test_empty_string_round_trips() -> None:
    assert compress_to_base64("") == "Q==="
    assert decompress_from_base64("Q===") == ""


@pytest.mark.parametrize(
    "bad",
    [
        "",  # JS returns null
        "!!!!",  # not base64
        "N4Ig",  # valid start, stream cut before the end marker
        "N4IgpgbmB2AuIC4QBIAOBDA5",  # truncated vector 1
        "ADg=",  # dictionary reference to an entry that does not exist
        "w===",  # first code 3 is not a literal
    ],
)
def test_malformed_input_raises_value_error(bad: str) -> None:
    with pytest.raises(ValueError):
        decompress_from_base64(bad)


def test_output_cap() -> None:
    compressed = compress_to_base64("a" * 100_000)
    assert len(compressed) < 2_000
    with pytest.raises(OutputTooLarge):
        decompress_from_base64(compressed, max_output=10_000)
    assert decompress_from_base64(compressed, max_output=100_000) == "a" * 100_000


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_round_trip(text: str) -> None:
    assert decompress_from_base64(compress_to_base64(text)) == text


_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=200) | st.text(max_size=50))
def test_arbitrary_input_returns_or_raises_value_error(text: str) -> None:
    try:
        result = decompress_from_base64(text, max_output=100_000)
    except ValueError:
        return
    assert isinstance(result, str)


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=100), st.data())
def test_corrupted_streams_never_escape_as_other_errors(text: str, data: st.DataObject) -> None:
    compressed = list(compress_to_base64(text))
    index = data.draw(st.integers(0, len(compressed) - 1))
    compressed[index] = data.draw(st.sampled_from(_ALPHABET))
    cut = data.draw(st.integers(1, len(compressed)))
    with contextlib.suppress(ValueError):
        decompress_from_base64("".join(compressed[:cut]), max_output=100_000)
