"""`hedgerow ingest` as a process of its own (no HTTP: started when it says so), and what
the JetStream intake records about the ingestion workers sharing it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nats
import nats.js.errors

from server import API_KEY, TOKEN


class Ingest:
    def __init__(self, data_dir: Path, env: dict[str, str]) -> None:
        self.log_path = data_dir.parent / f"{data_dir.name}-ingest.log"
        self.env = {
            **os.environ,
            "HEDGEROW_DATA_DIR": str(data_dir),
            "HEDGEROW_PROJECT_TOKEN": TOKEN,
            "HEDGEROW_API_KEY": API_KEY,
            "HEDGEROW_BUFFER_DELAY": "0",
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Ingest:
        self.log_path.write_bytes(b"")
        log = open(self.log_path, "ab")  # noqa: SIM115 - kept open for the child
        command = [sys.executable, "-m", "hedgerow", "ingest"]
        self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + 60
        while b"is ingesting" not in self.log_path.read_bytes():
            assert self.process.poll() is None, self.log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "hedgerow ingest did not start"
            time.sleep(0.1)
        return self

    def stop(self, sig: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(60)


def wait_owners(nats_url: str, workers: int, partitions: int = 12) -> dict[int, str]:
    """The leases once all `partitions` are held, by exactly `workers` workers."""
    deadline = time.monotonic() + 60
    while True:
        owners = partition_owners(nats_url)
        if len(owners) == partitions and len(set(owners.values())) == workers:
            return owners
        assert time.monotonic() < deadline, f"partitions never shared by {workers}: {owners}"
        time.sleep(0.2)


def partition_owners(nats_url: str) -> dict[int, str]:
    """Partition -> the worker holding its lease, read from the leases bucket."""
    return _by_partition(nats_url, "hedgerow_intake_leases", "partition.")


def recorded_owners(nats_url: str) -> dict[int, str]:
    """Partition -> the worker that took it and has not handed it back cleanly, as the
    workers record it in the intake's config bucket (empty values left out)."""
    owners = _by_partition(nats_url, "hedgerow_intake_config", "owner.p")
    return {partition: owner for partition, owner in owners.items() if owner}


def committed_offsets(nats_url: str) -> dict[int, int]:
    """Partition -> the offset the ingestion workers committed for it."""
    offsets = _by_partition(nats_url, "hedgerow_intake_offsets", "ingestion.p")
    return {partition: int(offset or 0) for partition, offset in offsets.items()}


def stream_head(nats_url: str) -> int:
    """The intake stream's last sequence: the offset of the last entry appended."""

    async def read() -> int:
        nc = await nats.connect(nats_url)
        try:
            info = await nc.jetstream().stream_info("HEDGEROW_INTAKE")
            return int(info.state.last_seq)
        finally:
            await nc.close()

    return asyncio.run(read())


def _by_partition(nats_url: str, bucket: str, prefix: str) -> dict[int, str]:
    """The values of a bucket's keys `<prefix><partition>`."""

    async def read() -> dict[int, str]:
        nc = await nats.connect(nats_url)
        try:
            kv = await nc.jetstream().key_value(bucket)
            try:
                keys = await kv.keys()
            except nats.js.errors.NoKeysError:
                return {}
            found: dict[int, str] = {}
            for key in keys:
                if key.startswith(prefix):
                    try:
                        entry = await kv.get(key)
                    except nats.js.errors.KeyNotFoundError:
                        continue
                    found[int(key.removeprefix(prefix))] = (entry.value or b"").decode()
            return found
        finally:
            await nc.close()

    try:
        return asyncio.run(read())
    except nats.js.errors.BucketNotFoundError:
        return {}
