"""Sending a batch to `/batch/`: one HTTP attempt, and the retry policy around attempts.

A batch is the server's batch object, `{"api_key", "historical_migration", "sent_at",
"batch": [...]}`, gzip-compressed with `Content-Encoding: gzip`. `sent_at` is stamped at each
attempt, so a batch that waited in retries still has its timestamps corrected for the client's
clock, not shifted by the wait. Network errors, 408, 429 and 5xx are retried with exponential
backoff and jitter; any other answer is final. Every event keeps the uuid it got at
`capture()`, so a batch the server stored but could not acknowledge is stored once.
"""

from __future__ import annotations

import gzip
import http.client
import json
import logging
import random
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from hedgerow_client.events import now_iso
from hedgerow_client.version import VERSION

logger = logging.getLogger("hedgerow_client")

RETRYABLE_STATUSES = frozenset({408, 429})


@dataclass(frozen=True)
class Outcome:
    """The result of one attempt: delivered, retryable (with why), or rejected for good."""

    delivered: bool
    retryable: bool = False
    reason: str = ""
    retry_after: float | None = None


DELIVERED = Outcome(delivered=True)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits between half and all of
    `min(max_delay, base_delay * 2**n)`, and at least what a `Retry-After` header asks."""

    max_retries: int = 10
    base_delay: float = 0.5
    max_delay: float = 30.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        ceiling = min(self.max_delay, self.base_delay * 2.0**attempt)
        wait = ceiling / 2 + random.uniform(0, ceiling / 2)
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_delay))
        return wait


class Transport:
    """One keep-alive connection to the server; not thread-safe (one owner at a time)."""

    def __init__(
        self,
        host: str,
        token: str,
        *,
        gzip: bool = True,
        timeout: float = 10.0,
        historical_migration: bool = False,
    ) -> None:
        parts = urlsplit(host if "://" in host else f"http://{host}")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"host must be an http(s) URL such as http://127.0.0.1:8000, not {host!r}"
            )
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self.path = parts.path.rstrip("/") + "/batch/"
        self.url = f"{parts.scheme}://{parts.netloc}{self.path}"
        self.gzip = gzip
        self.timeout = timeout
        self._head = (
            b'{"api_key":'
            + json.dumps(token).encode()
            + b',"historical_migration":'
            + (b"true" if historical_migration else b"false")
            + b',"sent_at":'
        )
        self._headers = {
            "Content-Type": "application/json",
            "User-Agent": f"hedgerow-client/{VERSION}",
        }
        if gzip:
            self._headers["Content-Encoding"] = "gzip"
        self._connection: http.client.HTTPConnection | None = None
        self._used = False

    def body(self, events: Sequence[bytes]) -> bytes:
        sent_at = json.dumps(now_iso()).encode()
        raw = b"".join((self._head, sent_at, b',"batch":[', b",".join(events), b"]}"))
        return gzip.compress(raw, compresslevel=6) if self.gzip else raw

    def post(self, events: Sequence[bytes]) -> Outcome:
        """One attempt. A kept-alive connection the server has since closed is reopened and
        tried once more at once: that is not a failure of the server."""
        body = self.body(events)
        try:
            return self._post(body)
        except (OSError, http.client.HTTPException) as error:
            reused = self._used
            self.close()
            if not reused:
                return Outcome(False, retryable=True, reason=f"{type(error).__name__}: {error}")
        try:
            return self._post(body)
        except (OSError, http.client.HTTPException) as error:
            self.close()
            return Outcome(False, retryable=True, reason=f"{type(error).__name__}: {error}")

    def _post(self, body: bytes) -> Outcome:
        connection = self._connect()
        connection.request("POST", self.path, body, self._headers)
        response = connection.getresponse()
        data = response.read()
        self._used = True
        if response.will_close:
            self.close()
        status = response.status
        if 200 <= status < 300:
            return DELIVERED
        reason = f"HTTP {status}: {_error_text(data)}"
        if status in RETRYABLE_STATUSES or status >= 500:
            return Outcome(False, True, reason, _retry_after(response.getheader("Retry-After")))
        return Outcome(False, False, reason)

    def _connect(self) -> http.client.HTTPConnection:
        if self._connection is None:
            if self.scheme == "https":
                self._connection = http.client.HTTPSConnection(
                    self.netloc, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                self._connection = http.client.HTTPConnection(self.netloc, timeout=self.timeout)
            self._used = False
        return self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def deliver(
    transport: Transport,
    events: Sequence[bytes],
    policy: RetryPolicy,
    wait: Callable[[float], bool],
    on_retry: Callable[[], None] = lambda: None,
) -> Outcome:
    """Send one batch, retrying as the policy says; `wait(seconds)` sleeps between attempts
    and returns False when the client must stop trying (shutting down past its deadline)."""
    attempt = 0
    while True:
        outcome = transport.post(events)
        if outcome.delivered or not outcome.retryable:
            return outcome
        if attempt >= policy.max_retries:
            return Outcome(False, True, f"{outcome.reason} (after {attempt + 1} attempts)")
        delay = policy.delay(attempt, outcome.retry_after)
        logger.info(
            "hedgerow-client: sending %d events to %s failed (%s); retrying in %.1f s",
            len(events),
            transport.url,
            outcome.reason,
            delay,
        )
        if not wait(delay):
            return Outcome(False, True, f"{outcome.reason} (gave up while shutting down)")
        on_retry()
        attempt += 1


def _error_text(data: bytes) -> str:
    """The server's `error` message if the answer is Hedgerow's JSON error, else the text."""
    text = data.decode("utf-8", "replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        return text[:300] or "(empty answer)"
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), str):
        code = parsed.get("code")
        return f"{code}: {parsed['error']}" if code else parsed["error"]
    return text[:300]


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
