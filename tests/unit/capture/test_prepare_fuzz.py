"""Properties of `prepare()` (decode + normalize) under every capture encoding.

Each generated request is either refused with a HedgerowError whose status is a 4xx and
whose code is in docs/capture.md's table (and, where the kind of input says so, the code the
docs give for it), or accepted with exactly the events that were sent, normalized: same
names, distinct_ids, properties (plus `$ip`), client uuids kept, the capture time as timestamp.
Kinds of input: well-formed, truncated (before and after encoding), deeply nested, huge,
non-UTF-8, NaN/Infinity, duplicate keys and wrong types.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture_wire import BYTE_ENCODINGS, ENCODINGS, WireRequest, documented_capture_codes
from hedgerow.capture.normalize import format_timestamp
from hedgerow.capture.prepare import RequestFacts, prepare
from hedgerow.errors import HedgerowError

TOKEN = "phc_fuzz"
IP = "203.0.113.9"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DOCUMENTED = documented_capture_codes()
DECODING = frozenset({"request_parsing_error", "request_decoding_error"})
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
encodings = st.sampled_from(sorted(ENCODINGS))


@dataclass(frozen=True)
class Sent:
    """One event as the client meant it, and what normalization must make of it."""

    event: str
    distinct_id: str
    properties: dict[str, Any]
    uuid: str | None = None


@dataclass(frozen=True)
class Case:
    """JSON text of a request, and what prepare() must do with it: refuse it with one of
    `codes`, or accept exactly `events`."""

    text: bytes
    events: list[Sent] = field(default_factory=list)
    codes: frozenset[str] = frozenset()


def facts(wire: WireRequest) -> RequestFacts:
    return RequestFacts(
        query=wire.query,
        content_type=wire.content_type,
        content_encoding=wire.content_encoding,
        legacy_path=wire.legacy,
        engage=False,
        ip=IP,
        received_at=NOW.timestamp(),
    )


def check(wire: WireRequest, case: Case) -> None:
    try:
        prepared = prepare(wire.body, facts(wire))
    except HedgerowError as error:
        assert 400 <= error.status < 500, (error.status, error.code, error.message)
        assert DOCUMENTED.get(error.code) == error.status, f"undocumented {error.code}"
        assert case.codes, f"refused {error.code}: {error.message}"
        assert error.code in case.codes, (error.code, error.message)
        return
    assert not case.codes, f"accepted, expected one of {sorted(case.codes)}"
    assert prepared.token == TOKEN
    stored = orjson.loads(prepared.payload)
    assert prepared.count == len(stored) == len(case.events)
    for got, sent in zip(stored, case.events, strict=True):
        assert got["event"] == sent.event
        assert got["distinct_id"] == sent.distinct_id.replace("\x00", "\ufffd")[:200]
        assert got["properties"] == {"$ip": IP, **sent.properties}
        assert got["timestamp"] == format_timestamp(NOW)
        if sent.uuid is not None:
            assert got["uuid"] == sent.uuid
        else:
            assert uuid.UUID(got["uuid"]).version == 7


# -- well-formed requests ----------------------------------------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=15,
)
distinct_ids = st.text(min_size=1, max_size=220).filter(str.strip)
sent_events = st.builds(
    Sent,
    event=st.text(min_size=1, max_size=20),
    distinct_id=distinct_ids,
    properties=st.dictionaries(
        st.text(max_size=10).filter(lambda k: k != "$ip"), json_values, max_size=5
    ),
    uuid=st.none() | st.uuids().map(str),
)


def event_object(sent: Sent, *, token: bool) -> dict[str, Any]:
    event: dict[str, Any] = {
        "event": sent.event,
        "distinct_id": sent.distinct_id,
        "properties": sent.properties,
    }
    if sent.uuid is not None:
        event["uuid"] = sent.uuid
    if token:
        event["token"] = TOKEN
    return event


def request_value(events: list[Sent], shape: str) -> Any:
    if shape == "batch":
        return {"api_key": TOKEN, "batch": [event_object(e, token=False) for e in events]}
    if shape == "single" and len(events) == 1:
        return event_object(events[0], token=True)
    return [event_object(e, token=True) for e in events]


@st.composite
def good_cases(draw: st.DrawFn, max_events: int = 5) -> Case:
    events = draw(st.lists(sent_events, min_size=1, max_size=max_events))
    shape = draw(st.sampled_from(["single", "array", "batch"]))
    return Case(orjson.dumps(request_value(events, shape)), events)


@FUZZ
@given(good_cases(), encodings)
def test_well_formed_requests_are_accepted_exactly(case: Case, encoding: str) -> None:
    check(ENCODINGS[encoding](case.text), case)


# -- truncated ---------------------------------------------------------------------------------


@FUZZ
@given(good_cases(), encodings, st.data())
def test_truncated_json_is_refused(case: Case, encoding: str, data: st.DataObject) -> None:
    cut = data.draw(st.integers(1, len(case.text) - 1))
    text = case.text[:cut]
    if encoding not in BYTE_ENCODINGS:  # text encodings: cut at a character boundary
        text = text.decode("utf-8", "ignore").encode()
    check(ENCODINGS[encoding](text), Case(text, codes=DECODING))


@FUZZ
@given(good_cases(), encodings, st.data())
def test_truncated_encoding_is_refused_or_intact(
    case: Case, encoding: str, data: st.DataObject
) -> None:
    """A body cut short answers a decoding error, or (when only padding or whitespace was
    cut) the events exactly as sent: never a part of them."""
    wire = ENCODINGS[encoding](case.text)
    if wire.body:
        cut = data.draw(st.integers(0, len(wire.body) - 1))
        wire = WireRequest(
            wire.body[:cut], wire.query, wire.content_type, wire.content_encoding, wire.legacy
        )
    else:
        value = wire.query["data"]
        cut = data.draw(st.integers(0, len(value) - 1))
        wire = WireRequest(query={**wire.query, "data": value[:cut]}, legacy=wire.legacy)
    try:
        check(wire, Case(case.text, codes=DECODING | {"empty_payload"}))
    except AssertionError as refusal_expected:
        if "accepted" not in str(refusal_expected):
            raise
        check(wire, case)


# -- nested ------------------------------------------------------------------------------------


def nested(depth: int, kind: str) -> bytes:
    opening, closing = ('{"a":', "}") if kind == "object" else ("[", "]")
    return (opening * depth + "1" + closing * depth).encode()


@FUZZ
@given(st.integers(1, 50), st.sampled_from(["object", "array"]), encodings, distinct_ids)
def test_nesting_within_limits_is_kept(
    depth: int, kind: str, encoding: str, distinct_id: str
) -> None:
    properties = orjson.loads(nested(depth, kind))
    text = (
        b'{"event":"deep","token":"' + TOKEN.encode() + b'","distinct_id":'
        + orjson.dumps(distinct_id) + b',"properties":{"deep":' + nested(depth, kind) + b"}}"
    )  # fmt: skip
    check(ENCODINGS[encoding](text), Case(text, [Sent("deep", distinct_id, {"deep": properties})]))


@settings(FUZZ, max_examples=60)
@given(st.integers(1100, 5000), st.sampled_from(["object", "array"]), encodings)
def test_nesting_past_the_parser_limit_is_refused(depth: int, kind: str, encoding: str) -> None:
    text = (
        b'{"event":"deep","token":"' + TOKEN.encode() + b'","distinct_id":"u",'
        b'"properties":{"deep":' + nested(depth, kind) + b"}}"
    )
    check(ENCODINGS[encoding](text), Case(text, codes=frozenset({"request_parsing_error"})))


# -- huge --------------------------------------------------------------------------------------


@settings(FUZZ, max_examples=40)
@given(
    st.integers(10_000, 200_000),
    st.integers(1, 300),
    st.sampled_from(["single", "array", "batch"]),
    encodings,
)
def test_huge_strings_and_many_events_are_kept(
    size: int, count: int, shape: str, encoding: str
) -> None:
    big = Sent("big", "u-big", {"blob": "é" * size})
    events = [big] + [Sent("many", f"u-{i}", {"i": i}) for i in range(count - 1)]
    text = orjson.dumps(request_value(events, shape if count > 1 else "single"))
    check(ENCODINGS[encoding](text), Case(text, events))


huge_numbers = st.one_of(
    st.integers(2**64, 10**300).map(lambda n: (str(n), float(n))),
    st.integers(-(10**300), -(2**63) - 1).map(lambda n: (str(n), float(n))),
    st.integers(309, 10_000).map(lambda e: (f"1e{e}", None)),  # beyond a double: null
    st.integers(309, 10_000).map(lambda e: (f"-2.5E+{e}", None)),
    st.integers(400, 10_000).map(lambda e: (f"1e-{e}", 0.0)),
)


@FUZZ
@given(st.lists(huge_numbers, min_size=1, max_size=4), encodings)
def test_huge_numbers_are_read_as_a_browser_would(
    numbers: list[tuple[str, float | None]], encoding: str
) -> None:
    members = ",".join(f'"n{i}":{literal}' for i, (literal, _) in enumerate(numbers))
    text = f'{{"event":"n","distinct_id":"u","token":"{TOKEN}","properties":{{{members}}}}}'
    expected = {f"n{i}": value for i, (_, value) in enumerate(numbers)}
    case = Case(text.encode(), [Sent("n", "u", expected)])
    check(ENCODINGS[encoding](case.text), case)


# -- non-UTF-8 ---------------------------------------------------------------------------------

bad_utf8 = st.sampled_from(
    [b"\xff", b"\xfe\xff", b"\xc3", b"\xc3(", b"\xe2\x82", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80"]
)


@FUZZ
@given(good_cases(), bad_utf8, st.sampled_from(BYTE_ENCODINGS), st.data())
def test_invalid_utf8_is_refused(
    case: Case, bad: bytes, encoding: str, data: st.DataObject
) -> None:
    quotes = [i for i, byte in enumerate(case.text) if byte == ord('"')]
    at = data.draw(st.sampled_from(quotes)) + 1  # just inside a string
    text = case.text[:at] + bad + case.text[at:]
    check(ENCODINGS[encoding](text), Case(text, codes=DECODING))


# -- NaN and Infinity --------------------------------------------------------------------------

constants = st.sampled_from(["NaN", "Infinity", "-Infinity"])


@FUZZ
@given(
    st.lists(st.tuples(st.text(max_size=6), constants | json_values), min_size=1, max_size=6),
    encodings,
)
def test_nan_and_infinity_become_null(members: list[tuple[str, Any]], encoding: str) -> None:
    parts, expected = [], {}
    for key, value in members:
        is_constant = value in ("NaN", "Infinity", "-Infinity")
        literal = value.encode() if is_constant else orjson.dumps(value)
        parts.append(orjson.dumps(key) + b":" + literal)
        expected[key] = None if is_constant else value
    properties = b"{" + b",".join(parts) + b"}"
    text = b'{"event":"nan","distinct_id":"u","token":"phc_fuzz","properties":' + properties + b"}"
    check(ENCODINGS[encoding](text), Case(text, [Sent("nan", "u", expected)]))


# -- duplicate keys ----------------------------------------------------------------------------


@FUZZ
@given(
    st.lists(st.tuples(st.sampled_from(["a", "b", "$c"]), json_values), min_size=2, max_size=8),
    st.lists(st.text(min_size=1, max_size=8), min_size=2, max_size=3),
    encodings,
)
def test_duplicate_keys_keep_the_last_value(
    members: list[tuple[str, Any]], names: list[str], encoding: str
) -> None:
    """As JSON.parse does: the last of repeated keys wins (in properties and in the event)."""
    properties = b"{" + b",".join(orjson.dumps(k) + b":" + orjson.dumps(v) for k, v in members)
    event_names = b",".join(b'"event":' + orjson.dumps(name) for name in names)
    text = (
        b"{" + event_names + b',"distinct_id":"x","distinct_id":"u","token":"phc_fuzz",'
        b'"properties":' + properties + b"}}"
    )
    check(ENCODINGS[encoding](text), Case(text, [Sent(names[-1], "u", dict(members))]))


# -- wrong types -------------------------------------------------------------------------------

OTHER_TYPES: list[Any] = [42, -1.5, True, False, [], [1, "a"], {}, {"a": 1}, "text", None]


def _wrong_type_expectation(name: str, value: Any) -> tuple[dict[str, Any], Sent | str]:
    """(the event with one field replaced, the event it must become or the code refusing it)."""
    event: dict[str, Any] = {"event": "typed", "distinct_id": "u", "token": TOKEN}
    event[name] = value
    sent = Sent("typed", "u", {})
    if name == "event":
        if isinstance(value, str):
            return event, Sent(value, "u", {})
        return event, "missing_event_name" if value is None else "invalid_event"
    if name == "distinct_id":
        if value is None:
            return event, "missing_distinct_id"
        coerced = value if isinstance(value, str) else orjson.dumps(value).decode()
        return event, Sent("typed", coerced, {})
    if name == "properties":
        return event, sent if value in (None, {}) else (
            Sent("typed", "u", value) if isinstance(value, dict) else "invalid_event"
        )
    if name == "uuid":
        return event, sent if value is None else "invalid_uuid"
    if name in ("timestamp", "offset"):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return event, ""  # a number moves the timestamp: not a wrong type
        return event, sent if value is None else "invalid_timestamp"
    if name in ("$set", "$set_once"):
        if value is None:
            return event, sent
        if isinstance(value, dict):
            return event, Sent("typed", "u", {name: value})
        return event, "invalid_event"
    if name == "token":
        return event, "missing_token" if not isinstance(value, str) else ""
    raise AssertionError(name)


FIELDS = ["event", "distinct_id", "properties", "uuid", "timestamp", "offset", "$set", "token"]


@settings(FUZZ, max_examples=250)
@given(st.sampled_from(FIELDS), st.sampled_from(OTHER_TYPES), encodings)
def test_wrong_types_are_refused_or_coerced(name: str, value: Any, encoding: str) -> None:
    event, expectation = _wrong_type_expectation(name, value)
    if expectation == "":
        return
    text = orjson.dumps(event)
    if isinstance(expectation, str):
        case = Case(text, codes=frozenset({expectation}))
    else:
        case = Case(text, [expectation])
    check(ENCODINGS[encoding](text), case)


def _shape_code(value: Any, where: str) -> str:
    """The code refusing `value` as the whole payload, as `batch`, or as the second event."""
    if where == "payload":
        if isinstance(value, dict):
            return "missing_event_name"
        if isinstance(value, list):
            return "empty_batch" if not value else "missing_token"  # no event has a token
        return "request_hydration_error"
    if where == "batch":
        if isinstance(value, list):
            return "empty_batch" if not value else "invalid_event"
        return "request_hydration_error"
    return "missing_event_name" if isinstance(value, dict) else "invalid_event"


@settings(FUZZ, max_examples=200)
@given(st.sampled_from(OTHER_TYPES), st.sampled_from(["payload", "batch", "event"]), encodings)
def test_wrong_shapes_are_refused(value: Any, where: str, encoding: str) -> None:
    good = {"event": "typed", "distinct_id": "u", "token": TOKEN}
    payload: Any = value
    if where == "batch":
        payload = {"api_key": TOKEN, "batch": value}
    elif where == "event":
        payload = [good, value]
    text = orjson.dumps(payload)
    check(ENCODINGS[encoding](text), Case(text, codes=frozenset({_shape_code(value, where)})))
