"""The load generator of bench/soak.py and bench/overload.py: a small keep-alive HTTP/1.1
client on asyncio streams (cheap: the load shares two cores with the server), PostHog-like
capture traffic in which every event carries the run id and a unique uuid, and the open-loop
(fixed arrival rate) and closed-loop (as fast as the clients can) drivers."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from common import API_KEY, TOKEN, EventFactory

# -- HTTP ----------------------------------------------------------------------------------

CONNECTION_ERROR = 0  # the status recorded when no answer came back (reset, timeout, EOF)


def http_request(method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, server wants the connection closed) of one HTTP/1.1 response."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip().lower()
    if headers.get("transfer-encoding") == "chunked":
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            parts.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        body = b"".join(p[:-2] for p in parts)
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, body, headers.get("connection") == "close"


Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]
IDLE_LIMIT = 2.0  # seconds; servers close idle keep-alive connections (uvicorn after 5 s)


class HttpPool:
    """Keep-alive connections to one server, at most `size` in use at once."""

    def __init__(self, host: str, port: int, size: int, timeout: float = 120) -> None:
        self.host, self.port, self.size, self.timeout = host, port, size, timeout
        self.idle: list[tuple[Conn, float]] = []  # (connection, when it was last used)
        self.slots = asyncio.Semaphore(size)

    def _idle_connection(self) -> Conn | None:
        while self.idle:
            conn, used = self.idle.pop()
            if time.monotonic() - used < IDLE_LIMIT and not conn[0].at_eof():
                return conn
            conn[1].close()
        return None

    async def send(
        self, raw: bytes, fresh: bool = False, wait: float | None = None
    ) -> tuple[int, bytes] | None:
        """Send one request and read its answer: (status, body), or (CONNECTION_ERROR,
        b"ExceptionName") when no answer came back; None when no connection was free within
        `wait` seconds (nothing sent). `fresh`: on a connection of its own, closed afterwards
        (for bodies that the server may refuse before reading them)."""
        if fresh:
            return await self._exchange(None, raw, keep=False)
        try:
            await asyncio.wait_for(self.slots.acquire(), wait)
        except TimeoutError:
            return None
        try:
            conn = self._idle_connection()
            answer = await self._exchange(conn, raw, keep=True)
            if conn is not None and answer == (CONNECTION_ERROR, b"Closed"):
                answer = await self._exchange(None, raw, keep=True)  # closed while idle
            return answer
        finally:
            self.slots.release()

    async def _exchange(self, conn: Conn | None, raw: bytes, keep: bool) -> tuple[int, bytes]:
        writer = None
        try:
            if conn is None:
                conn = await asyncio.open_connection(self.host, self.port)
            reader, writer = conn
            writer.write(raw)
            status, body, close = await asyncio.wait_for(read_response(reader), self.timeout)
        except asyncio.IncompleteReadError as exc:  # EOF: "Closed" when not a byte came back
            if writer is not None:
                writer.close()
            return CONNECTION_ERROR, b"Closed" if not exc.partial else b"IncompleteRead"
        except (OSError, TimeoutError, ValueError) as exc:
            if writer is not None:
                writer.close()
            return CONNECTION_ERROR, type(exc).__name__.encode()
        if keep and not close:
            self.idle.append((conn, time.monotonic()))
        else:
            writer.close()
        return status, body

    def close(self) -> None:
        for (_, writer), _used in self.idle:
            writer.close()
        self.idle.clear()


# -- traffic -------------------------------------------------------------------------------


@dataclass
class Request:
    kind: str  # single, batch, bad:<what>, query:<what>
    raw: bytes
    first_seq: int = 0
    events: int = 0  # good events carried (0 for bad requests and queries)
    fresh: bool = False


@dataclass
class Mix:
    """What the capture traffic is made of; rates follow from events/s."""

    single_share: float = 0.1  # share of events sent one per request to /e/ (posthog-js)
    batch_size: int = 50  # events per gzip /batch/ request (posthog-python)
    bad_share: float = 0.05  # share of capture requests that are bad
    queries_per_s: float = 2.0

    def request_rates(self, events_per_s: float) -> dict[str, float]:
        singles = events_per_s * self.single_share
        batches = events_per_s * (1 - self.single_share) / self.batch_size
        bad = (singles + batches) * self.bad_share / (1 - self.bad_share)
        return {"single": singles, "batch": batches, "bad": bad, "query": self.queries_per_s}


BAD_KINDS = ["bad_json", "missing_distinct_id", "unknown_token", "oversize"]


class Traffic:
    """Request bodies built on the fly from 1,000 pre-serialized event templates: each event
    gets `bench_run` (this run's id) and `bench_seq` (its number in the run) properties and a
    uuid made of the run id and the sequence number, so stored == accepted can be checked."""

    def __init__(self, run_id: str, max_body_size: int = 2 * 1024**2, seed: int = 5) -> None:
        self.run_id = run_id
        self.prefix = uuid.UUID(run_id).hex[:20]
        self.seq = 0
        self.bad_counter = itertools.count()
        self.query_counter = itertools.count()
        self.max_body_size = max_body_size
        factory = EventFactory(seed=seed)
        self.templates = []
        for _ in range(1000):
            distinct_id = factory.distinct_id()
            props = orjson.dumps(factory.properties(device_id=distinct_id))[1:-1]
            self.templates.append((factory.event_name(), distinct_id, props))
        self.cursor = itertools.cycle(range(1000))
        self.stamp, self.stamp_at = "", 0.0

    def uuid(self, seq: int) -> str:
        p = self.prefix
        return f"{p[:8]}-{p[8:12]}-{p[12:16]}-{p[16:20]}-{seq:012x}"

    def now(self) -> str:
        if time.monotonic() - self.stamp_at > 0.1:
            self.stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
            self.stamp_at = time.monotonic()
        return self.stamp

    def _event(self, seq: int, in_batch: bool, run: str = "") -> bytes:
        name, distinct_id, props = self.templates[next(self.cursor)]
        run = run or self.run_id
        tail = f',"bench_run":"{run}","bench_seq":{seq}'
        if in_batch:
            head = f'{{"event":"{name}","distinct_id":"{distinct_id}",'
        else:
            head = f'{{"event":"{name}",'
            tail += f',"token":"{TOKEN}","distinct_id":"{distinct_id}"'
        head += f'"uuid":"{self.uuid(seq)}","timestamp":"{self.now()}","properties":{{'
        return head.encode() + props + tail.encode() + b"}}"

    def single(self) -> Request:
        seq, self.seq = self.seq, self.seq + 1
        body = self._event(seq, in_batch=False)
        raw = http_request("POST", "/e/", body, {"Content-Type": "application/json"})
        return Request("single", raw, seq, 1)

    def _batch_body(self, first: int, size: int, token: str = TOKEN, run: str = "") -> bytes:
        events = b",".join(self._event(s, True, run) for s in range(first, first + size))
        head = f'{{"api_key":"{token}","sent_at":"{self.now()}","batch":['.encode()
        return gzip.compress(head + events + b"]}", compresslevel=1)

    def batch(self, size: int) -> Request:
        first, self.seq = self.seq, self.seq + size
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        raw = http_request("POST", "/batch/", self._batch_body(first, size), headers)
        return Request("batch", raw, first, size)

    def bad(self) -> Request:
        """A bad request; its events (if any) carry `<run id>-bad` and must never be stored."""
        what = BAD_KINDS[next(self.bad_counter) % len(BAD_KINDS)]
        json_type = {"Content-Type": "application/json"}
        run = self.run_id + "-bad"
        fresh = False
        if what == "bad_json":
            body = b'{"event": "$pageview", "properties": {"token": "' + TOKEN.encode() + b'",'
            raw = http_request("POST", "/e/", body, json_type)
        elif what == "missing_distinct_id":
            body = orjson.dumps(
                {"event": "$pageview", "properties": {"token": TOKEN, "bench_run": run}}
            )
            raw = http_request("POST", "/e/", body, json_type)
        elif what == "unknown_token":
            body = self._batch_body(0, 5, token="phc_nobody_has_this_token", run=run)
            raw = http_request("POST", "/batch/", body, {**json_type, "Content-Encoding": "gzip"})
        else:  # a body just over the limit, on a connection of its own
            pad = b"x" * (self.max_body_size + 1024)
            body = b'{"event":"$pageview","properties":{"token":"%s","distinct_id":"a",' % (
                TOKEN.encode()
            )
            body += b'"bench_run":"%s","pad":"%s"}}' % (run.encode(), pad)
            raw = http_request("POST", "/e/", body, json_type)
            fresh = True
        return Request(f"bad:{what}", raw, fresh=fresh)

    def query(self) -> Request:
        """A query over the last 10 minutes: trends, events, SQL and a funnel in turn."""
        which = next(self.query_counter) % 4
        queries: list[tuple[str, dict[str, Any]]] = [
            (
                "trends",
                {
                    "kind": "TrendsQuery",
                    "series": [{"kind": "EventsNode", "event": "$pageview", "math": "dau"}],
                    "interval": "hour",
                    "dateRange": {"date_from": "-10M", "explicitDate": True},
                    "breakdownFilter": {"breakdown": "$browser", "breakdown_type": "event"},
                },
            ),
            (
                "events",
                {
                    "kind": "EventsQuery",
                    "select": ["event", "count()"],
                    "after": "-10M",
                    "orderBy": ["count() DESC"],
                    "limit": 20,
                },
            ),
            (
                "hogql",
                {
                    "kind": "HogQLQuery",
                    "query": "SELECT properties.$os, count() FROM events WHERE timestamp > "
                    "now() - INTERVAL 10 MINUTE GROUP BY 1 ORDER BY 2 DESC LIMIT 10",
                },
            ),
            (
                "funnel",
                {
                    "kind": "FunnelsQuery",
                    "series": [
                        {"kind": "EventsNode", "event": "$pageview"},
                        {"kind": "EventsNode", "event": "$autocapture"},
                        {"kind": "EventsNode", "event": "$pageleave"},
                    ],
                    "dateRange": {"date_from": "-10M", "explicitDate": True},
                },
            ),
        ]
        name, query = queries[which]
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {API_KEY}"}
        body = orjson.dumps({"query": query})
        return Request(
            f"query:{name}", http_request("POST", "/api/projects/1/query/", body, headers)
        )


# -- what came back ------------------------------------------------------------------------


def status_class(status: int) -> str:
    if status == CONNECTION_ERROR:
        return "conn_error"
    if status == 503:
        return "503"
    return f"{status // 100}xx"


@dataclass
class Window:
    """Outcomes of the requests that completed in one sampling window."""

    capture_ms: list[float] = field(default_factory=list)
    query_ms: list[float] = field(default_factory=list)
    query_ms_by_kind: dict[str, list[float]] = field(default_factory=dict)  # trends, hogql, ...
    classes: Counter[str] = field(default_factory=Counter)
    late_s: list[float] = field(default_factory=list)  # due time -> the request's task runs
    accepted_events: int = 0
    refused_events: int = 0


BLOCK = 10_000


class Blocks:
    """A set of sequence numbers summarized per block of 10,000: count, sum and sum of squares
    of the offsets in the block (what the stored events are compared with, block by block)."""

    def __init__(self) -> None:
        self.blocks: dict[int, list[int]] = {}

    @staticmethod
    def _sums(n: int) -> tuple[int, int]:  # sum and sum of squares of 0 .. n-1
        return n * (n - 1) // 2, (n - 1) * n * (2 * n - 1) // 6

    def add(self, first: int, count: int) -> None:
        end = first + count
        while first < end:
            block, low = divmod(first, BLOCK)
            high = min(BLOCK, low + end - first)
            (s1_hi, s2_hi), (s1_lo, s2_lo) = self._sums(high), self._sums(low)
            entry = self.blocks.setdefault(block, [0, 0, 0])
            entry[0] += high - low
            entry[1] += s1_hi - s1_lo
            entry[2] += s2_hi - s2_lo
            first += high - low

    def total(self) -> int:
        return sum(entry[0] for entry in self.blocks.values())


class Recorder:
    """Every answer: totals by kind/status/code, the accepted sequence numbers (as ranges),
    and the current window's latencies and status classes."""

    def __init__(self) -> None:
        self.outcomes: Counter[tuple[str, int, str]] = Counter()
        self.accepted = Blocks()  # the events of every 200
        self.unknown = Blocks()  # events sent without an answer: stored or not, nobody knows
        self.window = Window()
        self.requests = 0
        self.skipped: Counter[str] = Counter()  # by kind: no free connection by the deadline

    def record(self, request: Request, status: int, body: bytes, seconds: float) -> None:
        self.requests += 1
        code = ""
        if status != 200:
            code = body.decode(errors="replace")[:40] if status == CONNECTION_ERROR else ""
            if status != CONNECTION_ERROR:
                try:
                    code = str(orjson.loads(body).get("code", ""))
                except (orjson.JSONDecodeError, AttributeError):
                    code = "not_json"
        kind = request.kind.split(":")[0]
        self.outcomes[(request.kind, status, code)] += 1
        w = self.window
        w.classes[status_class(status)] += 1
        if kind == "query":
            w.query_ms.append(seconds * 1000)
            w.query_ms_by_kind.setdefault(request.kind.split(":")[-1], []).append(seconds * 1000)
        elif kind in ("single", "batch"):
            w.capture_ms.append(seconds * 1000)
            if status == 200:
                self.accepted.add(request.first_seq, request.events)
                w.accepted_events += request.events
            elif status == CONNECTION_ERROR:
                self.unknown.add(request.first_seq, request.events)
            else:
                w.refused_events += request.events

    def take_window(self) -> Window:
        window, self.window = self.window, Window()
        return window


# -- drivers -------------------------------------------------------------------------------


class Driver:
    """Sends the mix to a server, open loop (fixed arrival rate) or closed loop."""

    def __init__(self, port: int, traffic: Traffic, mix: Mix, connections: int = 256) -> None:
        self.capture = HttpPool("127.0.0.1", port, connections)
        self.queries = HttpPool("127.0.0.1", port, 16, timeout=300)
        self.traffic, self.mix = traffic, mix
        self.recorder = Recorder()
        self.tasks: set[asyncio.Task[None]] = set()

    def build(self, kind: str) -> Request:
        if kind == "single":
            return self.traffic.single()
        if kind == "batch":
            return self.traffic.batch(self.mix.batch_size)
        if kind == "bad":
            return self.traffic.bad()
        return self.traffic.query()

    async def fire(self, request: Request, due: float, max_wait: float) -> None:
        pool = self.queries if request.kind.startswith("query") else self.capture
        wait = max(0.0, due + max_wait - time.monotonic())
        self.recorder.window.late_s.append(time.monotonic() - due)
        answer = await pool.send(request.raw, fresh=request.fresh, wait=wait)
        if answer is None:
            self.recorder.skipped[request.kind] += 1
            self.recorder.window.classes["skipped"] += 1
            return
        self.recorder.record(request, *answer, time.monotonic() - due)

    def spawn(self, request: Request, due: float, max_wait: float) -> None:
        task = asyncio.create_task(self.fire(request, due, max_wait))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def open_loop(
        self,
        events_per_s: float,
        seconds: float,
        kinds: tuple[str, ...] = ("single", "batch", "bad", "query"),
        max_wait: float = 10.0,
        tick: Callable[[], None] | None = None,
    ) -> None:
        """Each kind of request leaves at evenly spaced times for its rate; a request still
        waiting for a free connection `max_wait` s after its time is skipped (and counted)."""
        rates = {k: r for k, r in self.mix.request_rates(events_per_s).items() if k in kinds}
        sent = dict.fromkeys(rates, 0)
        started = time.monotonic()
        while (now := time.monotonic()) < started + seconds:
            for kind, rate in rates.items():
                due_count = int(rate * (now - started))
                while sent[kind] < due_count:
                    due = started + sent[kind] / rate
                    sent[kind] += 1
                    self.spawn(self.build(kind), due, max_wait)
            if tick is not None:
                tick()
            await asyncio.sleep(0.005)
        await self.finish()

    async def closed_loop(self, seconds: float, clients: int) -> None:
        """`clients` senders, each sending the capture mix (bad requests included) back to
        back; queries at their fixed rate beside them."""
        rates = self.mix.request_rates(1000.0)
        kinds, weights = ["single", "batch", "bad"], [rates["single"], rates["batch"], rates["bad"]]
        choose = random.Random(3).choices
        stop = time.monotonic() + seconds

        async def sender() -> None:
            while time.monotonic() < stop:
                request = self.build(choose(kinds, weights)[0])
                started = time.monotonic()
                answer = await self.capture.send(request.raw, fresh=request.fresh)
                assert answer is not None  # no wait limit: always sent
                self.recorder.record(request, *answer, time.monotonic() - started)

        async def queries() -> None:
            await self.open_loop(0, seconds, kinds=("query",))

        await asyncio.gather(*(sender() for _ in range(clients)), queries())
        await self.finish()

    async def finish(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks))

    def close(self) -> None:
        self.capture.close()
        self.queries.close()
