"""Generated capture requests against the real server: good and bad input under every encoding.

Every answer is 200 or a 4xx whose code is in docs/capture.md's table (never a 5xx, never an
undocumented code); afterwards exactly the events of the 200 answers are stored (count and
uuids, read back through the API), and nothing of a refused request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_from_bytes, urlencode

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from capture_wire import BYTE_ENCODINGS, ENCODINGS, WireRequest, documented_capture_codes

from server import TOKEN, Server

DOCUMENTED = documented_capture_codes()
KINDS = ["good", "truncated", "nested", "huge", "non-utf8", "nan", "duplicate", "wrong-type"]


@dataclass
class Sent:
    kind: str
    encoding: str
    uuids: list[str]
    must_refuse: bool  # the kind of input is always refused (else: accepted or refused)


@dataclass
class Log:
    accepted: list[Sent] = field(default_factory=list)
    refused: list[Sent] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)


def _event(uuid_text: str, **extra: Any) -> dict[str, Any]:
    return {"event": "fuzz", "distinct_id": "fuzz-user", "uuid": uuid_text, "token": TOKEN, **extra}


@st.composite
def requests(draw: st.DrawFn) -> tuple[bytes, Sent]:
    kind = draw(st.sampled_from(KINDS))
    count = draw(st.integers(1, 4))
    uuids = [str(uuid.uuid4()) for _ in range(count)]  # fresh per request, never repeated
    values = st.integers(-(2**63), 2**63 - 1) | st.text(max_size=10)
    properties = draw(st.dictionaries(st.text(max_size=6), values, max_size=3))
    events = [_event(u, properties=properties) for u in uuids]
    text = orjson.dumps(events if count > 1 else events[0])
    must_refuse = False
    if kind == "truncated":
        text = text[: draw(st.integers(1, len(text) - 1))]
        must_refuse = True
    elif kind == "nested":
        depth = draw(st.sampled_from([10, 40, 2000]))
        deep = b'{"a":' * depth + b"1" + b"}" * depth
        text = text[:-1] + b',"deep":' + deep + b"}" if count == 1 else text
        must_refuse = count == 1 and depth > 1024
    elif kind == "huge":
        blob = "x" * draw(st.integers(70_000, 600_000))  # over 64 KiB: a capture helper's job
        events = [_event(u, properties={"blob": blob}) for u in uuids]
        text = orjson.dumps({"api_key": TOKEN, "batch": events})
    elif kind == "non-utf8":
        at = text.index(b"fuzz-user") + 4
        text = text[:at] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])) + text[at:]
        must_refuse = True
    elif kind == "nan":
        constant = draw(st.sampled_from([b"NaN", b"Infinity", b"-Infinity", b"1e999"]))
        text = text.replace(b'"distinct_id"', b'"n":' + constant + b',"distinct_id"')
    elif kind == "duplicate":
        text = text.replace(b'"distinct_id"', b'"event":"dup","distinct_id"')
    elif kind == "wrong-type":
        field_name = draw(st.sampled_from(["event", "properties", "uuid", "$set", "offset"]))
        value = draw(st.sampled_from([42, [1], {"a": 1}, True, "text"]))
        bad = {"event": "text", "properties": {"a": 1}, "$set": {"a": 1}}.get(field_name)
        if value != bad and not (field_name == "offset" and value == 42):
            events[-1][field_name] = value
            text = orjson.dumps(events if count > 1 else events[0])
            must_refuse = True
    names = [*sorted(ENCODINGS), "get-raw"] if kind != "huge" else BYTE_ENCODINGS
    if kind == "non-utf8":
        names = [*BYTE_ENCODINGS, *["get-raw"] * 4]  # GET: bytes the server decodes itself
    encoding = draw(st.sampled_from(names))
    return text, Sent(kind, encoding, uuids, must_refuse)


def send(client: httpx.Client, text: bytes, encoding: str) -> httpx.Response:
    if encoding == "get-raw":  # the query exactly as bytes, percent-encoded
        return client.get("/e/?data=" + quote_from_bytes(text, safe=""))
    if encoding.startswith("get-") or encoding.startswith("lz64"):
        try:
            text.decode("utf-8")
        except UnicodeDecodeError:
            return client.get("/e/?data=" + quote_from_bytes(text, safe=""))
    wire: WireRequest = ENCODINGS[encoding](text)
    if wire.method == "GET":
        return client.get(wire.path + "?" + urlencode(wire.query))
    path = wire.path + ("?" + urlencode(wire.query) if wire.query else "")
    return client.post(path, content=wire.body, headers=wire.headers())


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    instance = Server(tmp_path_factory.mktemp("capture-fuzz") / "data").start()
    yield instance
    instance.stop()


def test_generated_requests_get_documented_answers_and_store_exactly_the_accepted(
    fuzz_server: Server,
) -> None:
    log = Log()
    client = httpx.Client(base_url=fuzz_server.url, timeout=60)

    @settings(
        max_examples=150,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(requests())
    def one_request(request: tuple[bytes, Sent]) -> None:
        text, sent = request
        response = send(client, text, sent.encoding)
        label = f"{sent.kind} {sent.encoding}: {response.status_code} {response.text[:300]}"
        if response.status_code == 200:
            assert response.json() == {"status": 1}, label
            assert not sent.must_refuse, label
            log.accepted.append(sent)
        else:
            assert 400 <= response.status_code < 500, label
            body = response.json()
            assert DOCUMENTED.get(body["code"]) == response.status_code, label
            assert body["status"] == response.status_code and len(body["error"]) > 20, label
            log.refused.append(sent)
        key = f"{sent.kind} {response.status_code}"
        log.answers[key] = log.answers.get(key, 0) + 1

    try:
        one_request()
    finally:
        client.close()
    accepted = {u for sent in log.accepted for u in sent.uuids}
    refused = {u for sent in log.refused for u in sent.uuids}
    assert log.accepted and log.refused, log.answers
    status = fuzz_server.wait_ingested(len(accepted))
    assert status["received"] == len(accepted), (status, log.answers)
    stored = [e["uuid"] for e in fuzz_server.events()]
    assert len(stored) == len(set(stored)) == len(accepted)
    assert set(stored) == accepted
    assert not set(stored) & refused
