"""Where an import of one file has got to: a checkpoint in the data directory, keyed by the
file's identity and the project, and the file's rejects report beside it.

The checkpoint names the rows (from the start of the file) known stored: written only once
the ingestion worker has committed the intake entry that carried the last of them. On
resume, the file is read again from the row after it, and the rejects report is cut back to
its size at the checkpoint, so that no rejected row is reported twice.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from hedgerow.durable_file import replace_durably
from hedgerow.imports.rows import Rejection

IDENTITY_BYTES = 1 << 20


def file_identity(path: Path) -> str:
    """Size, modification time and a hash of the first MiB: a file changed or replaced
    starts again from its first row."""
    stat = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as data:
        digest.update(data.read(IDENTITY_BYTES))
    digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:32]


@dataclass
class Checkpoint:
    file: str
    identity: str
    project: int
    rows: int = 0  # rows of the file known stored (or rejected)
    rejected: int = 0
    rejects_bytes: int = 0  # the rejects report's size at this checkpoint
    done: bool = False


class CheckpointFile:
    def __init__(self, data_dir: Path, source: Path, project: int) -> None:
        identity = file_identity(source)
        self.path = data_dir / "imports" / f"{project}-{identity}.json"
        self.initial = Checkpoint(str(source.resolve()), identity, project)

    def load(self) -> Checkpoint:
        try:
            return Checkpoint(**orjson.loads(self.path.read_bytes()))
        except FileNotFoundError:
            return self.initial

    def save(self, checkpoint: Checkpoint) -> None:
        """Written whole to a temporary file, made durable, then renamed over the old one."""
        replace_durably(self.path, orjson.dumps(asdict(checkpoint)))


class RejectsReport:
    """JSON lines, one per rejected row: its number in the file, the reason and a message."""

    def __init__(self, path: Path, keep_bytes: int) -> None:
        self.path = path
        self._out = path.open("ab")
        self._out.truncate(min(keep_bytes, self._out.tell()))
        self._out.seek(0, os.SEEK_END)

    def write(self, number: int, unit: str, rejection: Rejection) -> None:
        line = {unit: number, "reason": rejection.reason, "message": rejection.message}
        self._out.write(orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE))

    def flush(self) -> int:
        """Make what is written durable; return the report's size."""
        self._out.flush()
        os.fsync(self._out.fileno())
        return self._out.tell()

    def close(self) -> None:
        self._out.close()
