"""Reading the intake stream in order from an offset: an ephemeral pull consumer.

The consumer delivers without acknowledgements (the consumer's position that matters is the
committed offset in the KV bucket, not the consumer's). It starts at the offset asked for and
is kept while each read follows on from the one before; a read from anywhere else (a replay)
starts a new one. Each read first asks the stream how far it goes, then fetches exactly what
is there, so a read never waits for messages that do not exist. Messages fetched beyond the
read's event budget wait in `_ahead` for the next read.
"""

from __future__ import annotations

import contextlib
import logging

import nats.aio.msg
import nats.errors
from nats.js import JetStreamContext, api

from hedgerow.intake.log import IntakeEntry
from hedgerow.intake.partitions import partition_of_subject

log = logging.getLogger(__name__)

FETCH_MESSAGES = 256
INACTIVE_SECONDS = 60.0  # the server deletes a consumer left unused this long


class Cursor:
    def __init__(self, js: JetStreamContext, stream: str, subject: str) -> None:
        self._js = js
        self._stream = stream
        self._subject = subject
        self._sub: JetStreamContext.PullSubscription | None = None
        self._returned = 0  # every offset up to this one was returned (or skipped)
        self._delivered = 0  # the highest offset the consumer delivered
        self._ahead: list[IntakeEntry] = []

    async def read(
        self, after: int, max_events: int | None, *, until: int | None = None
    ) -> list[IntakeEntry]:
        """Entries with offsets above `after` (up to `until`), at least one if any exists,
        about `max_events` events (None: all up to `until`)."""
        try:
            return await self._read(after, max_events, until)
        except BaseException:
            await self.close()  # the next read starts a fresh consumer
            raise

    async def _read(
        self, after: int, max_events: int | None, until: int | None
    ) -> list[IntakeEntry]:
        info = await self._js.stream_info(self._stream)
        last = info.state.last_seq if until is None else min(until, info.state.last_seq)
        if self._sub is None or not self._returned <= after <= self._delivered:
            await self._restart(after)
        self._ahead = [entry for entry in self._ahead if entry.offset > after]
        self._returned = after
        total = sum(entry.count for entry in self._ahead)
        while max_events is None or total < max_events:
            available = last - max(self._delivered, info.state.first_seq - 1)
            if available <= 0:
                break
            assert self._sub is not None
            try:
                messages = await self._sub.fetch(min(FETCH_MESSAGES, available), timeout=5)
            except (TimeoutError, nats.errors.TimeoutError):
                # Messages the stream said it had did not come: they aged out meanwhile, or
                # the consumer is gone (nats-server restarted). The next read starts afresh.
                taken = self._take(max_events, until)
                await self.close()
                return taken
            for entry in sorted((entry_of(m) for m in messages), key=lambda e: e.offset):
                if entry.offset <= self._delivered:
                    continue  # delivered twice
                if entry.offset > max(self._delivered + 1, info.state.first_seq):
                    # Offsets are contiguous above the first kept one: a message the consumer
                    # counts as delivered never reached this fetch (a late reply to an earlier
                    # pull). Go on from the last one in order, with a new consumer.
                    await self._resubscribe(self._delivered)
                    info = await self._js.stream_info(self._stream)  # maybe purged since
                    break
                self._ahead.append(entry)
                self._delivered = entry.offset
                total += entry.count
        return self._take(max_events, until)

    def _take(self, max_events: int | None, until: int | None) -> list[IntakeEntry]:
        taken: list[IntakeEntry] = []
        events = 0
        for entry in self._ahead:
            if until is not None and entry.offset > until:
                break
            if taken and max_events is not None and events + entry.count > max_events:
                break
            taken.append(entry)
            events += entry.count
        self._ahead = self._ahead[len(taken) :]
        if taken:
            self._returned = taken[-1].offset
        return taken

    async def _restart(self, after: int) -> None:
        await self.close()
        await self._resubscribe(after)
        self._returned = self._delivered = after

    async def _resubscribe(self, after: int) -> None:
        """A new consumer starting after `after` (what was read ahead is kept)."""
        ahead = self._ahead
        await self.close()
        self._ahead = ahead
        config = api.ConsumerConfig(
            deliver_policy=api.DeliverPolicy.BY_START_SEQUENCE,
            opt_start_seq=after + 1,
            ack_policy=api.AckPolicy.NONE,
            inactive_threshold=INACTIVE_SECONDS,
            mem_storage=True,
        )
        self._sub = await self._js.pull_subscribe(self._subject, stream=self._stream, config=config)

    async def close(self) -> None:
        sub, self._sub = self._sub, None
        self._ahead = []
        if sub is None:
            return
        with contextlib.suppress(Exception):
            name = (await sub.consumer_info()).name
            await self._js.delete_consumer(self._stream, name)
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


def entry_of(message: nats.aio.msg.Msg) -> IntakeEntry:
    """The entry a stream message is: subject `<prefix>.<partition>.<team_id>.<count>` (or
    `<prefix>.<team_id>.<count>` from before partitions: partition 0)."""
    _, team, count = message.subject.rsplit(".", 2)
    meta = message.metadata
    return IntakeEntry(
        meta.sequence.stream,
        int(team),
        int(count),
        message.data,
        meta.timestamp.timestamp(),
        partition_of_subject(message.subject) or 0,
    )
