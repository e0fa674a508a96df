"""The store keeps each session's row in memory across batches and writes the rows every few
seconds (`session_writer.py`); the sessions table must still equal the scan of the raw events
(`sessions_select_sql`): for sessions spanning many batches (one row per session and write),
after a SIGKILL between two writes (the next start aggregates the events stored since the
last write again), after a clean close (which writes them: nothing to aggregate again), and
when events are deleted while their sessions are buffered."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from test_sessions_insert import _check_against_the_scan

from hedgerow.event import IngestEvent
from hedgerow.store import deletes
from hedgerow.store.chdb import ChdbEventStore
from hedgerow.store.sessions_schema import SESSIONS_TABLE

LANDINGS: list[dict[str, str]] = [
    {"$referring_domain": "$direct"},
    {"$referring_domain": "www.google.com", "utm_source": "google", "gclid": "g1"},
    {"$referring_domain": "t.co", "utm_campaign": "launch"},
    {"utm_medium": "email", "fbclid": "f1"},
]


def _events(seed: int, sessions: int = 30) -> list[dict[str, Any]]:
    """Events of `sessions` sessions (two projects), each property present on some events
    only, every timestamp distinct (ties are decided by the order states merge in), plus a
    few without a session and one event sent twice."""
    rng = random.Random(seed)
    count = sessions * 7
    seconds = rng.sample(range(7200), count)
    made: list[dict[str, Any]] = []
    for n in range(count):
        session = n % sessions
        props: dict[str, Any] = {"$session_id": f"s{session:02d}", **rng.choice(LANDINGS)}
        if n % 41 == 5:
            del props["$session_id"]
        for key, values in (
            ("$current_url", ["https://s.io/", "https://s.io/a", "https://s.io/b"]),
            ("$browser", ["Chrome", "Firefox"]),
            ("$os", ["iOS", "Linux"]),
            ("$device_type", ["Mobile", "Desktop"]),
            ("$geoip_country_code", ["DE", "GB"]),
        ):
            if rng.random() < 0.5:
                props[key] = rng.choice(values)
        second = seconds[n]
        made.append(
            {
                "team_id": 1 if session % 5 else 2,
                "uuid": str(uuid.UUID(int=rng.getrandbits(128))),
                "event": rng.choice(["$pageview", "$pageview", "$autocapture", "cta"]),
                "distinct_id": f"d{rng.randrange(5)}",
                "properties": props,
                "timestamp": f"2026-05-04 {second // 3600:02d}:{second // 60 % 60:02d}:"
                f"{second % 60:02d}.{n:06d}",
                "now": "2026-05-04 12:00:00.000000",
            }
        )
    made.append(dict(made[3]))  # sent twice: counted once
    rng.shuffle(made)  # batches hold sessions' events out of time order
    return made


def _batches(events: list[dict[str, Any]], count: int) -> list[list[dict[str, Any]]]:
    cuts = sorted(random.Random(count).sample(range(1, len(events)), count - 1))
    return [events[a:b] for a, b in zip([0, *cuts], [*cuts, len(events)], strict=True)]


def _insert(store: ChdbEventStore, batches: list[list[dict[str, Any]]], tag: str) -> None:
    for n, batch in enumerate(batches):
        store.insert([IngestEvent(**e) for e in batch], f"{tag}-{n}")


def _stored_rows(store: ChdbEventStore) -> int:
    """Rows in the sessions table's parts (before merges: each write adds its rows)."""
    return int(store.run(f"SELECT count() FROM {SESSIONS_TABLE}").rows[0][0])


def _session_count(events: list[dict[str, Any]]) -> int:
    return len(
        {
            (e["team_id"], e["properties"]["$session_id"])
            for e in events
            if "$session_id" in e["properties"]
        }
    )


def test_sessions_spanning_many_batches_are_one_row_per_write(tmp_path: Path) -> None:
    events = _events(seed=1)
    store = ChdbEventStore(tmp_path / "events.chdb", sessions_flush_seconds=3600)
    try:
        _insert(store, _batches(events, 40), "b")
        assert _stored_rows(store) == 0  # all buffered
        store.flush_sessions()
        assert _stored_rows(store) == _session_count(events)
        rows = _check_against_the_scan(store)
        assert len(rows) == _session_count(events)
    finally:
        store.close()


# A process of its own (chDB opens one store per process) inserts the batches of a JSON
# file: the first `flushed` of them written, the rest buffered; then it waits to be killed,
# or closes the store.
_WRITER = """
import json, sys, time
from pathlib import Path
from hedgerow.event import IngestEvent
from hedgerow.store.chdb import ChdbEventStore
path, data, flushed, ending = sys.argv[1:]
batches = json.loads(Path(data).read_text())
store = ChdbEventStore(Path(path), sessions_flush_seconds=3600)
for n, batch in enumerate(batches):
    store.insert([IngestEvent(**e) for e in batch], f"w-{n}")
    if n + 1 == int(flushed):
        store.flush_sessions()
if ending == "close":
    store.close()
print("ready", flush=True)
time.sleep(600)
"""


def _writer(tmp_path: Path, batches: list[list[dict[str, Any]]], flushed: int, ending: str) -> None:
    data = tmp_path / "batches.json"
    data.write_text(json.dumps(batches))
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _WRITER,
            str(tmp_path / "events.chdb"),
            str(data),
            str(flushed),
            ending,
        ],
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    try:
        assert process.stdout.readline().strip() == b"ready"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)


@pytest.mark.parametrize("flushed", [0, 12])
def test_a_sigkill_between_writes_loses_no_session(tmp_path: Path, flushed: int) -> None:
    """Killed with sessions buffered (none written yet, or some written and more of the
    same sessions buffered): the next start aggregates the events stored since the last
    write again, and the table equals the scan."""
    events = _events(seed=2)
    batches = _batches(events, 25)
    _writer(tmp_path, batches, flushed, "kill")
    store = ChdbEventStore(tmp_path / "events.chdb")
    try:
        assert store.sessions.recovered_events >= sum(len(b) for b in batches[flushed:])
        rows = _check_against_the_scan(store)
        assert len(rows) == _session_count(events)
    finally:
        store.close()


def test_close_writes_the_buffered_sessions(tmp_path: Path) -> None:
    events = _events(seed=3)
    _writer(tmp_path, _batches(events, 10), 0, "close")
    store = ChdbEventStore(tmp_path / "events.chdb")
    try:
        assert store.sessions.recovered_events == 0  # nothing left to aggregate again
        assert _stored_rows(store) == _session_count(events)
        _check_against_the_scan(store)
    finally:
        store.close()


def test_deleted_events_do_not_bring_their_buffered_sessions_back(tmp_path: Path) -> None:
    """Retention deletes project 2's events while their sessions are buffered: the next
    write must not put those sessions back."""
    events = _events(seed=4)
    store = ChdbEventStore(tmp_path / "events.chdb", sessions_flush_seconds=3600)
    try:
        _insert(store, _batches(events, 5), "d")
        assert deletes.delete_older_than(store, 2, "2026-05-05 00:00:00.000000") > 0
        store.flush_sessions()
        teams = store.run(f"SELECT DISTINCT team_id FROM {SESSIONS_TABLE}").rows
        assert teams == [[1]]
        _check_against_the_scan(store)
    finally:
        store.close()
