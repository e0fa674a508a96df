"""The cookieless step on its own: sentinel in, derived ids out, what is dropped, what is
removed, and salts that rotate with the day and are destroyed after their window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hedgerow.cookieless import Mode
from hedgerow.cookieless.store import CookielessStore
from hedgerow.event import IngestEvent
from hedgerow.ingestion.outcomes import DiscardReason
from hedgerow.ingestion.pipeline import OK, Drop, Step
from hedgerow.ingestion.steps.cookieless import cookieless_step

UA = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"
DAY1 = "2026-03-10 10:00:00.000000"


class Clock:
    def __init__(self, at: str) -> None:
        self.now = _epoch(at)

    def __call__(self) -> float:
        return self.now


def _epoch(at: str) -> float:
    return datetime.fromisoformat(at).replace(tzinfo=UTC).timestamp()


def _event(
    at: str = DAY1, event: str = "$pageview", distinct_id: str = "$posthog_cookieless", **props: Any
) -> IngestEvent:
    properties: dict[str, Any] = {
        "$cookieless_mode": True,
        "$ip": "203.0.113.7",
        "$raw_user_agent": UA,
        "$host": "www.example.com",
        "$timezone": "UTC",
        "$set": {"$raw_user_agent": UA, "plan": "pro"},
        "$set_once": {"$initial_raw_user_agent": UA},
    }
    properties.update(props)
    uuid = f"u-{event}-{at}-{sorted(props.items())}"
    return IngestEvent(1, uuid, event, distinct_id, properties, at, at)


@pytest.fixture()
def clock() -> Clock:
    return Clock(DAY1)


@pytest.fixture()
def store(tmp_path: Path, clock: Clock) -> Iterator[CookielessStore]:
    opened = CookielessStore(tmp_path / "cookieless.sqlite3", clock, max_lag=3600)
    yield opened
    opened.close()


def _step(store: CookielessStore, mode: int, zone: str = "UTC") -> Step:
    return cookieless_step(store, lambda project_id: (mode, zone) if project_id == 1 else None)


def test_stateless_same_visitor_same_day_one_id_and_session(store: CookielessStore) -> None:
    step = _step(store, Mode.STATELESS)
    first, second = _event(), _event("2026-03-10 23:59:00.000000", "$autocapture")
    assert step(first) is OK and step(second) is OK
    assert first.distinct_id.startswith("cookieless_")
    assert first.distinct_id == second.distinct_id == first.properties["$distinct_id"]
    assert first.properties["$device_id"] == "cookielessd_" + first.distinct_id[11:]
    session = first.properties["$session_id"]
    assert session == second.properties["$session_id"]
    # a UUIDv7 whose time is the start of the visitor's day
    assert (
        session[14] == "7"
        and int(session[:8] + session[9:13], 16) == _epoch("2026-03-10 00:00:00") * 1000
    )


def test_stateless_next_day_other_visitor(store: CookielessStore, clock: Clock) -> None:
    step = _step(store, Mode.STATELESS)
    today = _event()
    step(today)
    clock.now = _epoch("2026-03-11 10:00:00")
    tomorrow = _event("2026-03-11 10:00:00.000000")
    assert step(tomorrow) is OK
    assert tomorrow.distinct_id != today.distinct_id
    assert store.days() == ["2026-03-10", "2026-03-11"]


@pytest.mark.parametrize(
    ("changes", "same"),
    [
        ({}, True),
        ({"$ip": "203.0.113.8"}, False),
        ({"$raw_user_agent": UA + " Edg/131"}, False),
        ({"$host": "example.org"}, False),
        ({"$host": "shop.example.com"}, True),  # one root domain
        ({"$cookieless_extra": "tab"}, False),
        ({"$timezone": "Pacific/Kiritimati"}, False),  # already March 11th there
    ],
)
def test_each_input_changes_the_id(
    store: CookielessStore, changes: dict[str, Any], same: bool
) -> None:
    step = _step(store, Mode.STATELESS)
    base, other = _event(), _event(**changes)
    step(base)
    step(other)
    assert (base.distinct_id == other.distinct_id) is same


def test_project_time_zone_picks_the_day_when_the_event_has_none(store: CookielessStore) -> None:
    late = "2026-03-10 23:30:00.000000"  # March 11th in Paris
    paris, utc = _event(late, **{"$timezone": None}), _event(late, **{"$timezone": None})
    _step(store, Mode.STATELESS, "Europe/Paris")(paris)
    _step(store, Mode.STATELESS, "UTC")(utc)
    assert paris.distinct_id != utc.distinct_id
    assert store.days() == ["2026-03-10", "2026-03-11"]


def test_identifying_properties_are_not_kept(store: CookielessStore) -> None:
    event = _event(**{"$cookieless_extra": "x"})
    _step(store, Mode.STATELESS)(event)
    for key in ("$ip", "$raw_user_agent", "$cookieless_extra"):
        assert key not in event.properties
    assert event.properties["$set"] == {"plan": "pro"}
    assert event.properties["$set_once"] == {}
    assert event.properties["$host"] == "www.example.com"


@pytest.mark.parametrize(
    ("mode", "event", "reason"),
    [
        (Mode.OFF, "$pageview", DiscardReason.COOKIELESS_PROJECT_DISABLED),
        (Mode.STATELESS, "$identify", DiscardReason.COOKIELESS_STATELESS_IDENTIFY),
        (Mode.STATEFUL, "$create_alias", DiscardReason.COOKIELESS_UNSUPPORTED_EVENT),
        (Mode.STATELESS, "$merge_dangerously", DiscardReason.COOKIELESS_UNSUPPORTED_EVENT),
    ],
)
def test_dropped(store: CookielessStore, mode: int, event: str, reason: DiscardReason) -> None:
    result = _step(store, mode)(_event(event=event))
    assert isinstance(result, Drop) and result.reason == reason


@pytest.mark.parametrize(
    ("missing", "reason"),
    [
        ("$raw_user_agent", DiscardReason.COOKIELESS_MISSING_USER_AGENT),
        ("$ip", DiscardReason.COOKIELESS_MISSING_IP),
        ("$host", DiscardReason.COOKIELESS_MISSING_HOST),
    ],
)
def test_missing_hash_input(store: CookielessStore, missing: str, reason: DiscardReason) -> None:
    event = _event()
    del event.properties[missing]
    result = _step(store, Mode.STATELESS)(event)
    assert isinstance(result, Drop) and result.reason == reason


def test_events_without_the_flag_are_untouched(store: CookielessStore) -> None:
    event = _event(**{"$cookieless_mode": False})
    before = dict(event.properties)
    assert _step(store, Mode.OFF)(event) is OK
    assert event.properties == before and event.distinct_id == "$posthog_cookieless"


def test_stateful_sessions_and_identify(store: CookielessStore) -> None:
    step = _step(store, Mode.STATEFUL)
    view = _event()
    later = _event("2026-03-10 10:20:00.000000", "$autocapture")
    after_pause = _event("2026-03-10 11:00:00.000000", "$autocapture")
    for event in (view, later, after_pause):
        assert step(event) is OK
    assert view.distinct_id == later.distinct_id == after_pause.distinct_id
    assert "$distinct_id" not in view.properties
    assert view.properties["$session_id"] == later.properties["$session_id"]
    assert after_pause.properties["$session_id"] != view.properties["$session_id"]

    identifies = [
        _event("2026-03-10 11:01:00.000000", "$identify", "alice", **{"$anon_distinct_id": ""})
        for _ in range(2)  # the second: the same event replayed after a crash
    ]
    for identify in identifies:
        assert step(identify) is OK
        assert identify.distinct_id == "alice"
        assert identify.properties["$anon_distinct_id"] == view.distinct_id
    as_alice = _event("2026-03-10 11:02:00.000000", "Plan purchased", "alice")
    step(as_alice)
    assert as_alice.distinct_id == "alice"
    assert as_alice.properties["$device_id"] == view.properties["$device_id"]
    # Logged out: the same browser is a new anonymous visitor, not alice's.
    logged_out = _event("2026-03-10 11:03:00.000000")
    step(logged_out)
    assert logged_out.distinct_id.startswith("cookieless_")
    assert logged_out.distinct_id != view.distinct_id


def test_salt_is_destroyed_after_its_window(
    store: CookielessStore, clock: Clock, tmp_path: Path
) -> None:
    step = _step(store, Mode.STATELESS)
    step(_event())
    salt = store.salt("2026-03-10")
    files = [tmp_path / "cookieless.sqlite3", tmp_path / "cookieless.sqlite3-wal"]
    assert any(salt in f.read_bytes() for f in files if f.exists())
    # Usable until March 11th 12:00 UTC (UTC-12 ends the day) plus the lag, an hour here.
    clock.now = _epoch("2026-03-11 12:59:59")
    store.purge()
    assert store.days() == ["2026-03-10"]
    clock.now = _epoch("2026-03-11 13:00:00")
    store.purge_if_due()
    assert store.days() == []
    for file in files:
        if file.exists():
            assert salt not in file.read_bytes(), file.name
    late = _event()
    result = step(late)
    assert isinstance(result, Drop)
    assert result.reason == DiscardReason.COOKIELESS_TIMESTAMP_OUT_OF_RANGE
    assert store.days() == []  # a destroyed salt is never made again


def test_salt_survives_reopening_within_its_window(
    store: CookielessStore, clock: Clock, tmp_path: Path
) -> None:
    salt = store.salt("2026-03-10")
    again = CookielessStore(tmp_path / "cookieless.sqlite3", clock, max_lag=3600)
    try:
        assert again.salt("2026-03-10") == salt
    finally:
        again.close()
