"""`POST /_instance/backup`: the running server backs up its own data directory.

Only for `hedgerow backup` on the same machine: it authenticates with the token of the
server's control file (lifecycle/control.py), not with a user's session or key. The backup
runs in a worker thread; the snapshot itself waits for the ingestion batch in flight to end
(`IngestionWorker.between_batches`), while capture goes on. One backup at a time.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio.to_thread
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hedgerow.errors import BadRequest, HedgerowError, Unauthorized
from hedgerow.lifecycle.backup import BackupError, EventStore, Snapshot, make_backup, summary


class BackupRunning(HedgerowError):
    status = 409
    code = "backup_running"


class InstanceBackupApi:
    def __init__(
        self,
        data_dir: Path,
        events: EventStore,
        between_batches: Callable[[Callable[[], Snapshot]], Snapshot],
        token: str,
    ) -> None:
        self.data_dir = data_dir
        self.events = events
        self.between_batches = between_batches
        self.token = token
        self._running = threading.Lock()

    def routes(self) -> list[Route]:
        return [Route("/_instance/backup", self.backup, methods=["POST"])]

    async def backup(self, request: Request) -> Response:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            raise Unauthorized(
                "Backups are asked for by `hedgerow backup` on the server's machine, with the "
                "token of the data directory's control.json.",
                code="invalid_control_token",
            )
        try:
            body = orjson.loads(await request.body())
            dest = Path(body["dest"])
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise BadRequest('Send {"dest": "<absolute path of a new directory>"}.') from exc
        if not dest.is_absolute():
            raise BadRequest("`dest` must be an absolute path.", code="invalid_backup_dest")
        if not self._running.acquire(blocking=False):
            raise BackupRunning("A backup is already running; wait for it to finish.")
        try:
            started = time.monotonic()
            manifest = await anyio.to_thread.run_sync(self._run, dest)
        except BackupError as exc:
            raise BadRequest(str(exc), code="backup_failed") from exc
        finally:
            self._running.release()
        answer: dict[str, Any] = {
            "dest": str(dest),
            "seconds": round(time.monotonic() - started, 3),
            **summary(manifest),
        }
        return Response(orjson.dumps(answer), media_type="application/json")

    def _run(self, dest: Path) -> dict[str, Any]:
        return make_backup(self.data_dir, dest, self.events, self.between_batches)
