"""Partitions of the JetStream intake stream: which worker handles which person's events.

An event belongs to partition `crc32(project, distinct_id) mod P`: a stable hash (the same in
every process and Python version, unlike `hash`), so one distinct id's events always land in
one partition and one worker handles them, in order. P is fixed when the stream is first
used (`--intake-partitions`, recorded in the config bucket); a process started with another
P refuses, since moving a person's events to another partition would let two workers handle
them at once.

Capture splits a request's events by partition and publishes one message per part on the
subject `hedgerow.intake.<partition>.<project>.<event count>`.
"""

from __future__ import annotations

import zlib
from typing import Any

import orjson

DEFAULT_PARTITIONS = 12


def partition_of(team_id: int, distinct_id: str, partitions: int) -> int:
    key = f"{team_id}\0{distinct_id}".encode()
    return zlib.crc32(key) % partitions


def split_payload(
    team_id: int, count: int, payload: bytes, partitions: int
) -> dict[int, tuple[int, bytes]]:
    """A request's `count` normalized events (a JSON list) by partition: (event count,
    payload). A request whose events all fall in one partition is kept as it is."""
    records: list[dict[str, Any]] = orjson.loads(payload)
    parts: dict[int, list[dict[str, Any]]] = {}
    for record in records:
        distinct_id = str(record.get("distinct_id", ""))
        parts.setdefault(partition_of(team_id, distinct_id, partitions), []).append(record)
    if len(parts) == 1:
        (only,) = parts
        return {only: (count, payload)}
    return {p: (len(part), orjson.dumps(part)) for p, part in parts.items()}


def partition_of_subject(subject: str) -> int | None:
    """The partition a stream subject names; None for a subject from before partitions
    (`hedgerow.intake.<project>.<count>`), which belongs to partition 0."""
    tokens = subject.split(".")
    return int(tokens[2]) if len(tokens) == 5 else None
