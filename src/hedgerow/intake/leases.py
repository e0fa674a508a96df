"""Leases on the intake stream's partitions, in the KV bucket `hedgerow_intake_leases`.

Every ingestion worker registers under `worker.<id>` (value: whether it keeps its stores
embedded) and holds each partition it handles under `partition.<n>` (value: its id). The
bucket's maximum age is LEASE_SECONDS, so a key not rewritten that long disappears by itself:
a worker rewrites its keys every HEARTBEAT_SECONDS (each partition key by compare-and-set on
the revision it last wrote, so a lease taken over meanwhile is seen as lost), and the keys of
a killed worker vanish. A worker counts its leases as held only until LEASE_SECONDS -
FENCE_MARGIN after the start of its last complete renewal (by its own clock): it stops using
them before the server can give them to anyone else.

Shares: the live workers sorted by id; partition n belongs to worker n mod (their number).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Sequence
from dataclasses import dataclass

import nats.js.errors
import orjson
from nats.js import JetStreamContext, api
from nats.js.kv import KeyValue

LEASES_BUCKET = "hedgerow_intake_leases"
LEASE_SECONDS = 5.0
HEARTBEAT_SECONDS = 1.0
FENCE_MARGIN = 1.5
WORKER_PREFIX = "worker."
PARTITION_PREFIX = "partition."


@dataclass(frozen=True)
class Peer:
    id: str
    embedded: bool


def share(workers: Sequence[str], me: str, partitions: int) -> set[int]:
    """The partitions that are `me`'s share among the live `workers`."""
    ordered = sorted({*workers, me})
    mine = ordered.index(me)
    return {n for n in range(partitions) if n % len(ordered) == mine}


class PartitionLeases:
    """One worker's registration and partition leases. Every method runs on the intake
    log's event loop; `valid` may be asked from any thread."""

    def __init__(self, js: JetStreamContext, worker_id: str, *, embedded: bool, replicas: int):
        self._js = js
        self.worker_id = worker_id
        self.embedded = embedded
        self.replicas = replicas
        self.held: dict[int, int] = {}  # partition -> revision of its lease key
        self.lost: set[int] = set()  # leases found taken over, not yet given up by the worker
        self._valid_until = 0.0

    async def open(self) -> None:
        try:
            self._kv: KeyValue = await self._js.key_value(LEASES_BUCKET)
        except nats.js.errors.BucketNotFoundError:
            self._kv = await self._js.create_key_value(
                bucket=LEASES_BUCKET,
                history=1,
                ttl=LEASE_SECONDS,
                storage=api.StorageType.FILE,  # survives a restart of nats-server
                replicas=self.replicas,
            )

    async def peers(self) -> list[Peer]:
        """The other live workers."""
        try:
            keys = await self._kv.keys()
        except nats.js.errors.NoKeysError:
            return []
        found: list[Peer] = []
        for key in keys:
            if not key.startswith(WORKER_PREFIX) or key == WORKER_PREFIX + self.worker_id:
                continue
            with contextlib.suppress(nats.js.errors.KeyNotFoundError):
                entry = await self._kv.get(key)
                value = orjson.loads(entry.value or b"{}")
                found.append(Peer(key.removeprefix(WORKER_PREFIX), bool(value.get("embedded"))))
        return found

    async def register(self) -> None:
        value = orjson.dumps({"embedded": self.embedded})
        await self._kv.put(WORKER_PREFIX + self.worker_id, value)

    async def renew(self) -> None:
        """Rewrite the registration and every lease; a lease whose revision moved on is lost."""
        started = time.monotonic()
        await self.register()
        complete = True
        for partition, revision in list(self.held.items()):
            try:
                self.held[partition] = await self._kv.update(
                    PARTITION_PREFIX + str(partition), self.worker_id.encode(), last=revision
                )
            except nats.js.errors.KeyWrongLastSequenceError:
                self.lost.add(partition)
                complete = False
        if complete:
            self._valid_until = started + LEASE_SECONDS - FENCE_MARGIN

    async def acquire(self, partition: int) -> bool:
        """Take a free partition's lease (False: another worker holds it)."""
        started = time.monotonic()
        key = PARTITION_PREFIX + str(partition)
        revision: int | None
        try:
            revision = await self._kv.create(key, self.worker_id.encode())
        except nats.js.errors.KeyWrongLastSequenceError:
            revision = await self._adopt(key)  # held by this worker before a restart?
        if revision is None:
            return False
        if not self.held:
            self._valid_until = started + LEASE_SECONDS - FENCE_MARGIN
        self.held[partition] = revision
        return True

    async def _adopt(self, key: str) -> int | None:
        """A lease still held under this worker's id (by its previous run: an embedded
        worker keeps its id in its data directory, which one process at a time can use)."""
        try:
            entry = await self._kv.get(key)
            if entry.value != self.worker_id.encode() or entry.revision is None:
                return None
            return await self._kv.update(key, entry.value, last=entry.revision)
        except (nats.js.errors.KeyNotFoundError, nats.js.errors.KeyWrongLastSequenceError):
            return None

    async def release(self, partition: int) -> None:
        revision = self.held.pop(partition)
        self.lost.discard(partition)
        with contextlib.suppress(nats.js.errors.APIError):
            await self._kv.delete(PARTITION_PREFIX + str(partition), last=revision)

    def drop_lost(self) -> set[int]:
        """Give up the leases found lost (without touching their keys); return them."""
        lost, self.lost = set(self.lost), set()
        for partition in lost:
            self.held.pop(partition, None)
        return lost

    def valid(self) -> bool:
        """Whether every lease held is certainly still this worker's."""
        return not self.lost and time.monotonic() < self._valid_until

    async def leave(self) -> None:
        """A clean stop: the registration goes (the partitions are released before)."""
        with contextlib.suppress(Exception):
            await self._kv.delete(WORKER_PREFIX + self.worker_id)


async def wait_for_stale(leases: PartitionLeases) -> list[Peer]:
    """The other workers that are still there a lease period later (a killed worker's
    registration is gone by then; a running worker's is renewed)."""
    if not await leases.peers():
        return []
    await asyncio.sleep(LEASE_SECONDS + HEARTBEAT_SECONDS)
    return await leases.peers()
