"""Getting events to the server without making the caller wait.

`BackgroundDelivery` is a bounded queue and one daemon thread. `put()` only appends under a
lock: when the queue is full the event is dropped, counted, and logged (at most one line every
ten seconds), and the caller never blocks. The thread sends a batch when `flush_at` events are
waiting, when the oldest has waited `flush_interval` seconds, or when someone flushes. A batch
that fails is retried (see `transport.py`) before the next is taken, so events are sent in the
order they were captured. `shutdown()` sends everything left, retrying until its deadline;
an `atexit` hook does the same for clients never shut down.

`SyncDelivery` sends each event in the caller's thread before `capture()` returns, for
processes that may end at any moment (serverless functions, short scripts).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from hedgerow_client.transport import Outcome, RetryPolicy, Transport, deliver

logger = logging.getLogger("hedgerow_client")

DROP_LOG_INTERVAL = 10.0


@dataclass
class Stats:
    """What became of captured events. `captured = sent + failed + dropped + pending`."""

    captured: int = 0
    sent: int = 0
    failed: int = 0  # refused by the server (4xx), or still failing when retries ran out
    dropped: int = 0  # the queue was full
    retries: int = 0  # attempts repeated after a retryable failure
    batches: int = 0  # batches delivered
    last_error: str | None = field(default=None)


class SyncDelivery:
    """Each event sent before `put()` returns, retries included."""

    def __init__(self, transport: Transport, policy: RetryPolicy) -> None:
        self.transport = transport
        self.policy = policy
        self.stats = Stats()
        self._lock = threading.Lock()
        self._closed = False

    def put(self, event: bytes) -> None:
        with self._lock:
            self.stats.captured += 1
            if self._closed:
                self.stats.dropped += 1
                logger.warning("hedgerow-client: capture() after shutdown(); event dropped")
                return
            outcome = deliver(self.transport, [event], self.policy, _sleep, self._count_retry)
            _account(self.stats, outcome, 1)

    def _count_retry(self) -> None:
        self.stats.retries += 1

    def pending(self) -> int:
        return 0

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def shutdown(self, timeout: float | None = None) -> bool:
        with self._lock:
            self._closed = True
            self.transport.close()
        return True


class BackgroundDelivery:
    def __init__(
        self,
        transport: Transport,
        policy: RetryPolicy,
        *,
        flush_at: int = 100,
        flush_interval: float = 0.5,
        max_batch_size: int = 1000,
        max_batch_bytes: int = 5 * 1024 * 1024,
        max_queue_size: int = 10_000,
        shutdown_timeout: float = 10.0,
    ) -> None:
        self.transport = transport
        self.policy = policy
        self.flush_at = max(1, flush_at)
        self.flush_interval = flush_interval
        self.max_batch_size = max(self.flush_at, max_batch_size)
        self.max_batch_bytes = max_batch_bytes
        self.max_queue_size = max_queue_size
        self.shutdown_timeout = shutdown_timeout
        self.stats = Stats()
        self._init_state()
        _live.add(self)
        os.register_at_fork(after_in_child=_after_fork_of(self))

    def _init_state(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[bytes] = deque()
        self._oldest = 0.0  # monotonic time the oldest waiting event was queued
        self._in_flight = 0
        self._flushing = 0
        self._stopping = False
        self._closed = False
        self._deadline: float | None = None
        self._gave_up = False
        self._thread: threading.Thread | None = None
        self._dropped_unlogged = 0
        self._drop_logged_at = -DROP_LOG_INTERVAL

    # -- the caller's side -----------------------------------------------------------------

    def put(self, event: bytes) -> None:
        with self._cond:
            self.stats.captured += 1
            queue = self._queue
            if len(queue) >= self.max_queue_size or self._closed:
                self._drop()
                return
            if not queue:
                self._oldest = time.monotonic()
                if self._thread is None:
                    self._start()
                queue.append(event)
                self._cond.notify()
                return
            queue.append(event)
            if len(queue) == self.flush_at:
                self._cond.notify()

    def _drop(self) -> None:
        self.stats.dropped += 1
        self._dropped_unlogged += 1
        now = time.monotonic()
        if now - self._drop_logged_at >= DROP_LOG_INTERVAL:
            if self._closed:
                why = "the client is shut down (capture() was called after shutdown())"
            else:
                why = (
                    f"the queue is full ({self.max_queue_size} events waiting; raise "
                    f"max_queue_size, or check that {self.transport.url} is reachable)"
                )
            logger.warning(
                "hedgerow-client: dropped %d event(s) because %s; %d dropped in all.",
                self._dropped_unlogged,
                why,
                self.stats.dropped,
            )
            self._drop_logged_at = now
            self._dropped_unlogged = 0

    def pending(self) -> int:
        with self._cond:
            return len(self._queue) + self._in_flight

    def flush(self, timeout: float | None = None) -> bool:
        """Send everything queued now; True once all of it is sent (or refused for good)."""
        with self._cond:
            if self._thread is None and not self._queue:
                return True
            self._flushing += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: not self._queue and not self._in_flight, timeout)
            finally:
                self._flushing -= 1

    def shutdown(self, timeout: float | None = None) -> bool:
        """Send what is left (retrying for at most `timeout` seconds), then stop the thread.
        True if nothing had to be given up at the deadline. Events captured afterwards are
        dropped and counted."""
        timeout = self.shutdown_timeout if timeout is None else timeout
        with self._cond:
            self._closed = True
            self._stopping = True
            self._deadline = time.monotonic() + timeout
            self._cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout + 1.0)
        _live.discard(self)
        with self._cond:
            return not self._queue and not self._in_flight and not self._gave_up

    # -- the thread's side -----------------------------------------------------------------

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hedgerow-client", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            batch = self._next_batch()
            if batch is None:
                self.transport.close()
                return
            try:
                outcome = deliver(self.transport, batch, self.policy, self._wait, self._retried)
            except Exception as error:  # never let the thread die with events queued
                logger.exception("hedgerow-client: unexpected error sending a batch")
                outcome = Outcome(False, reason=f"{type(error).__name__}: {error}")
            with self._cond:
                _account(self.stats, outcome, len(batch))
                self._in_flight = 0
                self._cond.notify_all()

    def _next_batch(self) -> list[bytes] | None:
        with self._cond:
            queue = self._queue
            while True:
                if self._stopping and self._past_deadline():
                    self._give_up_on_queue()
                    return None
                if queue:
                    if len(queue) >= self.flush_at or self._flushing or self._stopping:
                        break
                    remaining = self._oldest + self.flush_interval - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cond.wait(remaining)
                elif self._stopping:
                    return None
                else:
                    self._cond.wait()
            batch: list[bytes] = []
            size = 0
            while queue and len(batch) < self.max_batch_size:
                if batch and size + len(queue[0]) > self.max_batch_bytes:
                    break
                event = queue.popleft()
                size += len(event) + 1
                batch.append(event)
            self._in_flight = len(batch)
            if queue:
                self._oldest = time.monotonic()
            return batch

    def _past_deadline(self) -> bool:
        return self._deadline is not None and time.monotonic() >= self._deadline

    def _give_up_on_queue(self) -> None:
        if self._queue:
            self._gave_up = True
            count = len(self._queue)
            self.stats.failed += count
            logger.error(
                "hedgerow-client: shutdown timed out; %d queued event(s) were not sent to %s",
                count,
                self.transport.url,
            )
            self._queue.clear()
            self._cond.notify_all()

    def _wait(self, seconds: float) -> bool:
        """Sleep between attempts; False when shutting down and the deadline comes first."""
        end = time.monotonic() + seconds
        with self._cond:
            while True:
                if self._deadline is not None and end > self._deadline:
                    self._gave_up = True
                    return False
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return True
                self._cond.wait(remaining)

    def _retried(self) -> None:
        with self._cond:
            self.stats.retries += 1

    def _after_fork(self) -> None:
        """In a forked child the parent's thread does not exist: start afresh, empty (the
        parent still sends what it had queued)."""
        self._init_state()
        self.stats = Stats()
        self.transport._connection = None


def _account(stats: Stats, outcome: Outcome, count: int) -> None:
    if outcome.delivered:
        stats.sent += count
        stats.batches += 1
        return
    stats.failed += count
    stats.last_error = outcome.reason
    logger.error(
        "hedgerow-client: %d event(s) were not delivered and are dropped: %s", count, outcome.reason
    )


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return True


def _after_fork_of(delivery: BackgroundDelivery) -> Callable[[], None]:
    ref = weakref.ref(delivery)

    def after_fork() -> None:
        instance = ref()
        if instance is not None:
            instance._after_fork()

    return after_fork


_live: weakref.WeakSet[BackgroundDelivery] = weakref.WeakSet()


@atexit.register
def _flush_at_exit() -> None:
    """Interpreter exit: every client not shut down sends what it has queued."""
    for delivery in list(_live):
        try:
            delivery.shutdown()
        except Exception:
            logger.exception("hedgerow-client: flushing at exit failed")
