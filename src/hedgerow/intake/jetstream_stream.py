"""The intake stream and its buckets: what the first process creates and every process
checks when it opens the JetStream intake log (`jetstream.py`).

One stream, `HEDGEROW_INTAKE`, on the subjects `hedgerow.intake.>`, with limits from the
settings (`StreamLimits`, applied to an existing stream too) and discard policy `new`, so a
full stream refuses publishes instead of dropping entries. Two KV buckets beside it: the
consumers' offsets, and the configuration (the partition count, recorded once; a process
started with another count refuses with `PartitionsMismatch`).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import nats.js.errors
from nats.js import JetStreamContext, api
from nats.js.kv import KeyValue

STREAM = "HEDGEROW_INTAKE"
SUBJECT_PREFIX = "hedgerow.intake"
OFFSETS_BUCKET = "hedgerow_intake_offsets"
CONFIG_BUCKET = "hedgerow_intake_config"


@dataclass(frozen=True)
class StreamLimits:
    max_msgs: int = 1_000_000
    max_bytes: int = 1024**3
    max_age: float = 0.0  # seconds; 0 keeps entries until they are committed
    duplicate_window: float = 120.0
    replicas: int = 1


class IntakeUnreachable(RuntimeError):
    """NATS could not be reached when the log was opened."""


class PartitionsMismatch(IntakeUnreachable):
    """The stream was set up with another partition count than this process's."""


async def ensure_stream(js: JetStreamContext, limits: StreamLimits) -> None:
    """Create the stream, or apply the limits of the settings to the existing one."""
    config = api.StreamConfig(
        name=STREAM,
        subjects=[f"{SUBJECT_PREFIX}.>"],
        retention=api.RetentionPolicy.LIMITS,
        discard=api.DiscardPolicy.NEW,
        storage=api.StorageType.FILE,
        max_msgs=limits.max_msgs,
        max_bytes=limits.max_bytes,
        max_age=limits.max_age,
        max_msg_size=-1,
        duplicate_window=limits.duplicate_window,
        num_replicas=limits.replicas,
    )
    try:
        await js.stream_info(STREAM)
    except nats.js.errors.NotFoundError:
        await js.add_stream(config)
    else:
        await js.update_stream(config)


async def open_bucket(js: JetStreamContext, bucket: str, replicas: int) -> KeyValue:
    """A KV bucket of the intake (one value per key, on disk), created on first use."""
    try:
        return await js.key_value(bucket)
    except nats.js.errors.BucketNotFoundError:
        return await js.create_key_value(
            bucket=bucket, history=1, storage=api.StorageType.FILE, replicas=replicas
        )


async def check_partitions(config: KeyValue, url: str, partitions: int) -> None:
    """Record the partition count on first use; refuse another one afterwards."""
    with contextlib.suppress(nats.js.errors.KeyWrongLastSequenceError):  # recorded before
        await config.create("partitions", str(partitions).encode())
    recorded = int((await config.get("partitions")).value or b"0")
    if recorded != partitions:
        raise PartitionsMismatch(
            f"The intake stream at {url} is split into {recorded} partitions and this "
            f"process was started with {partitions}: start every process with "
            f"--intake-partitions {recorded} (HEDGEROW_INTAKE_PARTITIONS). The count is "
            "fixed once the stream is in use: a person's events must stay in one partition."
        )
