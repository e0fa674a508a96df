"""Continuous capture load as SDKs send it: retried until acknowledged.

Each sender posts batches of 20 events of random distinct ids (so a request spans several
partitions) to the capture processes in turn. A request not answered 200 (refused, or not
answered at all: its capture process died) is sent again with the same events to the next
capture process RETRY_PAUSE later, until one answers 200, as PostHog's SDKs retry (they wait
for `Retry-After`; these senders do not, to keep the tests quick). `acked` holds the uuids of
every request answered 200, the only events capture promised to keep.

Sender 0 also sends identify sequences between its batches: a `$pageview` of an anonymous
id, `$identify` of a user id naming it, and a `signed in` of the user id, one request each,
each sent once the one before was acknowledged. The two ids are in partitions of different
parity, so with two ingestion workers (shares: partition n mod 2) their events go to
different workers. `pairs` holds the (anonymous id, user id) of every acknowledged sequence.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

from server import TOKEN

PARTITIONS = 12  # the default
BATCH = 20
RETRY_PAUSE = 0.1
IDENTIFY_EVERY = 2  # sender 0 sends an identify step after this many batches


def partition(distinct_id: str, team_id: int = 1) -> int:
    """The documented partition of a distinct id (docs/deploy.md)."""
    return zlib.crc32(f"{team_id}\0{distinct_id}".encode()) % PARTITIONS


class RetryingLoad:
    def __init__(self, urls: list[str], *, senders: int = 2) -> None:
        self.urls = urls
        self.partitions: set[int] = set(range(PARTITIONS))  # may change while running
        self.acked: list[str] = []
        self.pairs: list[tuple[str, str]] = []
        self.refusals: Counter[str] = Counter()  # "<status> <code>" or "no answer"
        self.answered: Counter[str] = Counter()  # 200s by capture URL
        self._started = [0] * senders  # batches (or identify steps) each sender began
        self._generation = 0  # bumped by `restrict`: sender 0 drops its identify sequence
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._send, args=(n,), daemon=True) for n in range(senders)
        ]

    def __enter__(self) -> RetryingLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(30)

    def restrict(self, partitions: set[int], timeout: float = 30) -> None:
        """Send events of these partitions only; return once every request of events picked
        before is acknowledged (an identify sequence begun before is given up)."""
        with self._lock:
            self.partitions = set(partitions)
            self._generation += 1
            marks = list(self._started)
        self.wait_for(
            lambda: all(now >= mark + 2 for now, mark in zip(self._started, marks, strict=True)),
            "every sender on the new partitions",
            timeout,
        )

    def send(self, events: list[dict[str, Any]]) -> None:
        """One request of these events, beside the senders, retried until acknowledged."""
        with httpx.Client(timeout=10) as http:
            assert self._deliver(http, events, [0]), "the load stopped"

    # -- waiting for the load ----------------------------------------------------------------

    def wait_acked(self, more: int, timeout: float = 60) -> None:
        """Until `more` events beyond those acknowledged now are acknowledged."""
        target = len(self.acked) + more
        self.wait_for(lambda: len(self.acked) >= target, f"{more} more acknowledged", timeout)

    def wait_answered(self, url: str, more: int, timeout: float = 60) -> None:
        """Until `url` answered 200 to `more` requests beyond those it answered now."""
        target = self.answered[url] + more
        self.wait_for(lambda: self.answered[url] >= target, f"{more} 200s from {url}", timeout)

    def wait_refused(self, what: str, timeout: float = 30) -> None:
        """Until a request was refused with `what` ("503 intake_unavailable", "no answer")."""
        self.wait_for(lambda: self.refusals[what] > 0, f"a request refused with {what}", timeout)

    def wait_for(self, done: Callable[[], bool], what: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, f"never: {what} (refusals: {self.refusals})"
            time.sleep(0.05)

    # -- the senders -------------------------------------------------------------------------

    def _send(self, n: int) -> None:
        rng = random.Random(n)
        turn = [n]
        with httpx.Client(timeout=10) as http:
            sequence: list[dict[str, Any]] = []
            pair = ("", "")
            rounds = 0
            generation = self._generation
            while not self._stop.is_set():
                rounds += 1
                self._started[n] += 1
                if generation != self._generation:
                    generation, sequence = self._generation, []
                if n == 0 and rounds % IDENTIFY_EVERY == 0:
                    if not sequence:
                        pair = self._pair(rng)
                        sequence = _identify(*pair)
                    if not self._deliver(http, [sequence[0]], turn):
                        return
                    sequence.pop(0)
                    if not sequence:
                        with self._lock:
                            self.pairs.append(pair)
                    continue
                batch = [
                    {
                        "event": "load",
                        "distinct_id": self._distinct_id(rng, "d", 300),
                        "uuid": _uuid(),
                    }
                    for _ in range(BATCH)
                ]
                if not self._deliver(http, batch, turn):
                    return

    def _deliver(self, http: httpx.Client, batch: list[dict[str, Any]], turn: list[int]) -> bool:
        """Post until a capture process answers 200 (True) or the load stops (False)."""
        body = {"api_key": TOKEN, "batch": batch}
        while not self._stop.is_set():
            turn[0] += 1
            url = self.urls[turn[0] % len(self.urls)]
            try:
                response = http.post(url + "/batch/", json=body)
            except httpx.HTTPError:
                refusal = "no answer"
            else:
                if response.status_code == 200:
                    with self._lock:
                        self.acked.extend(event["uuid"] for event in batch)
                        self.answered[url] += 1
                    return True
                refusal = f"{response.status_code} {_code(response)}"
            with self._lock:
                self.refusals[refusal] += 1
            self._stop.wait(RETRY_PAUSE)
        return False

    def _distinct_id(
        self, rng: random.Random, prefix: str, span: int, parity: int | None = None
    ) -> str:
        """`<prefix><n < span>` in a partition allowed now (of this parity, if given)."""
        while True:
            candidate = f"{prefix}{rng.randrange(span)}"
            p = partition(candidate)
            if p in self.partitions and (parity is None or p % 2 == parity):
                return candidate

    def _pair(self, rng: random.Random) -> tuple[str, str]:
        """Ids in partitions of different parity (the same parity only while the load is
        kept to one worker's partitions)."""
        suffix = uuid.uuid4().hex[:6]
        anon = self._distinct_id(rng, f"anon-{suffix}-", 10_000)
        other = 1 - partition(anon) % 2
        parity = other if any(p % 2 == other for p in self.partitions) else None
        while True:
            user = self._distinct_id(rng, f"user-{suffix}-", 10_000, parity)
            if partition(user) != partition(anon) or len(self.partitions) == 1:
                return anon, user


def _identify(anon: str, user: str) -> list[dict[str, Any]]:
    return [
        {"event": "$pageview", "distinct_id": anon, "uuid": _uuid()},
        {
            "event": "$identify",
            "distinct_id": user,
            "properties": {"$anon_distinct_id": anon},
            "uuid": _uuid(),
        },
        {"event": "signed in", "distinct_id": user, "uuid": _uuid()},
    ]


def _uuid() -> str:
    return str(uuid.uuid4())


def _code(response: httpx.Response) -> str:
    try:
        return str(response.json().get("code"))
    except ValueError:
        return "not json"
