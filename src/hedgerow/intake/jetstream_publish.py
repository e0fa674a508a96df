"""Publishing an accepted capture request to the intake stream, part by part.

A request's events are split by partition (`partitions.py`); each part is one message on
`hedgerow.intake.<partition>.<team_id>.<event count>`, with a `Nats-Msg-Id` made from the
team and the part's events' uuids, so a client's retry of the same events (or a publish
resent after a reconnect) within the stream's duplicate window is stored once, part by part.
Capture answers 200 only after JetStream's PubAck of every part; a part that fails fails the
request with a 503 (`intake_full` when the stream is full, else `intake_unavailable`), and
the client's retry stores the parts already taken once.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Callable

import nats.errors
import nats.js.errors
from nats.js import JetStreamContext

from hedgerow.errors import ServiceUnavailable
from hedgerow.intake.jetstream_stream import STREAM, SUBJECT_PREFIX
from hedgerow.intake.pressure import intake_unavailable

_UUID = re.compile(rb'"uuid"\s*:\s*"([^"]{1,64})"')


def message_id(team_id: int, payload: bytes) -> str:
    """The same events (by uuid) for the same team give the same id: a retry is a duplicate."""
    uuids = _UUID.findall(payload)
    digest = hashlib.sha256(b"\0".join(uuids) if uuids else payload).hexdigest()
    return f"{team_id}-{digest[:40]}"


def subject(team_id: int, count: int, partition: int = 0) -> str:
    return f"{SUBJECT_PREFIX}.{partition}.{team_id}.{count}"


class Publisher:
    """Publishes parts on one connection; `connected` says whether a publish can go out
    now, `full` makes the 503 for a stream that refused for its limits."""

    def __init__(
        self,
        js: JetStreamContext,
        url: str,
        timeout: float,
        connected: Callable[[], bool],
        full: Callable[[], ServiceUnavailable],
    ) -> None:
        self._js = js
        self._url = url
        self._timeout = timeout
        self._connected = connected
        self._full = full

    async def publish_parts(self, team_id: int, parts: dict[int, tuple[int, bytes]]) -> int:
        """Publish every part at once; the last offset once all are acknowledged."""
        offsets = await asyncio.gather(
            *(self.publish(team_id, n, body, p) for p, (n, body) in parts.items())
        )
        return max(offsets)

    async def publish(self, team_id: int, count: int, payload: bytes, partition: int = 0) -> int:
        if not self._connected():  # a publish now would wait in the reconnect buffer
            raise intake_unavailable(f"NATS at {self._url} is unreachable")
        headers = {"Nats-Msg-Id": message_id(team_id, payload)}
        try:
            ack = await self._js.publish(
                subject(team_id, count, partition),
                payload,
                timeout=self._timeout,
                stream=STREAM,
                headers=headers,
            )
        except nats.js.errors.APIError as exc:
            description = (exc.description or "").lower()
            if "maximum messages" in description or "maximum bytes" in description:
                raise self._full() from exc
            raise intake_unavailable(f"JetStream refused the publish: {exc}") from exc
        except (TimeoutError, nats.errors.Error) as exc:
            raise intake_unavailable(
                f"no acknowledgement from NATS at {self._url}: {exc!r}"
            ) from exc
        return int(ack.seq)
