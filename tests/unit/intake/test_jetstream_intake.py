"""What only the JetStream intake log does: deduplicated publishes, a full stream, NATS away."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from hedgerow.errors import PayloadTooLarge, ServiceUnavailable
from hedgerow.intake.jetstream import (
    IntakeUnreachable,
    JetStreamIntakeLog,
    StreamLimits,
    message_id,
)
from nats_server import NatsServer

from server import free_port


def _payload(*uuids: str, at: float = 0.0) -> bytes:
    return json.dumps([{"uuid": u, "timestamp": at} for u in uuids]).encode()


def test_the_same_events_published_again_are_stored_once(nats_server: NatsServer) -> None:
    log = JetStreamIntakeLog(nats_server.url)
    try:
        first = log.append_blocking(1, 2, _payload("u1", "u2", at=1.0))
        # A client's retry: the same uuids, normalized again at another time.
        again = log.append_blocking(1, 2, _payload("u1", "u2", at=2.0))
        other_team = log.append_blocking(2, 2, _payload("u1", "u2"))
        assert again == first
        assert other_team != first
        assert [e.offset for e in log.read("ingestion", 100)] == [first, other_team]
        assert log.backlog().events == 4
    finally:
        log.close()


def test_message_id_depends_on_team_and_uuids_only() -> None:
    assert message_id(1, _payload("a", at=1)) == message_id(1, _payload("a", at=2))
    assert message_id(1, _payload("a")) != message_id(2, _payload("a"))
    assert message_id(1, _payload("a")) != message_id(1, _payload("a", "b"))


def test_a_full_stream_answers_intake_full_until_a_commit(nats_server: NatsServer) -> None:
    log = JetStreamIntakeLog(nats_server.url, limits=StreamLimits(max_msgs=3))
    try:
        for i in range(3):
            log.append_blocking(1, 1, _payload(f"f{i}"))
        with pytest.raises(ServiceUnavailable) as refused:
            log.append_blocking(1, 1, _payload("f3"))
        assert refused.value.code == "intake_full"
        assert refused.value.status == 503
        log.commit("ingestion", log.read("ingestion", 100)[-1].offset)
        _eventually(lambda: _accepts(log, _payload("f3")))
        assert [e.payload for e in log.read("ingestion", 100)] == [_payload("f3")]
    finally:
        log.close()


def test_nats_away_answers_intake_unavailable_and_resumes(tmp_path: Path) -> None:
    nats = NatsServer(tmp_path / "nats").start()
    log = JetStreamIntakeLog(nats.url)
    try:
        kept = log.append_blocking(1, 1, _payload("before"))
        log.commit("ingestion", kept)
        nats.stop()
        with pytest.raises(ServiceUnavailable) as refused:
            log.append_blocking(1, 1, _payload("during"))
        assert refused.value.code == "intake_unavailable"
        with pytest.raises(ServiceUnavailable):
            log.check_pressure()
        with pytest.raises(ServiceUnavailable):  # the ingestion status answers 503, not 500
            log.backlog(team_id=1)
        assert not log.healthy()
        nats = NatsServer(tmp_path / "nats", port=nats.port).start()
        _eventually(lambda: _accepts(log, _payload("after")))
        assert log.healthy()
        assert [e.payload for e in log.read("ingestion", 100)] == [_payload("after")]
    finally:
        log.close()
        nats.stop()


def test_reading_goes_on_after_nats_server_restarts(tmp_path: Path) -> None:
    """The reader's consumer is gone after a restart (SIGKILL): reading must not stall."""
    nats = NatsServer(tmp_path / "nats").start()
    log = JetStreamIntakeLog(nats.url)
    try:
        log.append_blocking(1, 1, _payload("r0"))
        first = log.read("ingestion", 100)
        assert [e.payload for e in first] == [_payload("r0")]
        log.commit("ingestion", first[-1].offset)  # the next read follows on from this one
        nats.stop(sig=9)
        nats = NatsServer(tmp_path / "nats", port=nats.port).start()
        _eventually(lambda: _accepts(log, _payload("r1")))
        _eventually(lambda: [e.payload for e in log.read("ingestion", 100)] == [_payload("r1")])
    finally:
        log.close()
        nats.stop()


def test_opening_without_a_server_says_what_to_do() -> None:
    with pytest.raises(IntakeUnreachable, match="nats-server"):
        JetStreamIntakeLog(f"nats://127.0.0.1:{free_port()}")


def _accepts(log: JetStreamIntakeLog, payload: bytes) -> bool:
    try:
        log.append_blocking(1, 1, payload)
    except ServiceUnavailable:
        return False
    return True


def _eventually(check: object, timeout: float = 20) -> None:
    assert callable(check)
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "did not happen in time"
        time.sleep(0.1)


def test_an_entry_over_the_servers_max_payload_is_refused(nats_server: NatsServer) -> None:
    log = JetStreamIntakeLog(nats_server.url)
    try:
        huge = json.dumps([{"uuid": "h", "blob": "x" * 1_100_000}]).encode()  # 1 MiB default
        with pytest.raises(PayloadTooLarge) as refused:
            log.append_blocking(1, 1, huge)
        assert refused.value.code == "intake_entry_too_large"
        assert log.backlog().events == 0
    finally:
        log.close()
