"""Capture helper processes: big bodies are decoded and normalized outside the server process.

Decoding and normalizing a 500-event batch is ~20 µs of Python per event; done in the
server process it competes for the GIL with the ingestion worker (measured: ingestion ran at
6,000 events/s while capture was loaded against 13,500 alone). `hedgerow serve` therefore
starts `--capture-processes` helpers (`python -m hedgerow.capture.helpers <limits JSON>`,
which import only the capture modules and prepare under the server's `PrepareLimits`) and
hands them every body of at least `HELPER_MIN_BYTES`; small bodies (a browser's single event)
are cheaper to do in place than to send over a pipe.

The server keeps everything else: the token check, the durable append, the answer. A helper
sends back the intake entry (the normalized events as JSON) or the refusal the request gets.
If a helper dies, the request it had is prepared in the server process and a new helper is
started, so a crash loses nothing and answers nothing wrong.

Wire format on the helper's stdin and stdout (big-endian):
request `II` (facts length, body length), the facts (JSON), the body;
answer `BI` (kind, length) then that many bytes: kind 0 = `III` (token length, event count,
payload length), token, payload; kind 1 = a refusal as JSON; kind 2 = an unexpected error's
traceback (the server then prepares the body itself, so the error is raised and logged there).
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
import sys
import traceback
from typing import BinaryIO

import orjson

from hedgerow.capture.prepare import DEFAULT_LIMITS, Prepared, PrepareLimits, RequestFacts, prepare
from hedgerow.errors import HedgerowError

log = logging.getLogger(__name__)

HELPER_MIN_BYTES = 64 * 1024
_REQUEST = struct.Struct(">II")
_ANSWER = struct.Struct(">BI")
_PREPARED = struct.Struct(">III")
OK, REFUSED, CRASHED = 0, 1, 2


class HelperGone(Exception):
    """The helper process stopped (or broke the protocol) while preparing a body."""


class RefusedRequest(HedgerowError):
    """A refusal decided in a helper process, carrying the status and code it had there."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message, code=code)
        self.status = status


class _Helper:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    @classmethod
    async def spawn(cls, limits: PrepareLimits) -> _Helper:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "hedgerow.capture.helpers",
            limits.to_json().decode(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            start_new_session=True,  # stopped by the server (end of input), not by Ctrl-C
        )
        return cls(process)

    async def call(self, body: bytes, facts: RequestFacts) -> Prepared | None:
        """The prepared body, raising the refusal; None when the helper crashed on it."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        encoded = facts.to_json()
        if self.process.returncode is not None:
            raise HelperGone(f"exited with {self.process.returncode}")
        try:
            stdin.write(_REQUEST.pack(len(encoded), len(body)) + encoded)
            stdin.write(body)
            await stdin.drain()
            kind, length = _ANSWER.unpack(await stdout.readexactly(_ANSWER.size))
            data = await stdout.readexactly(length)
        except (OSError, RuntimeError, asyncio.IncompleteReadError, struct.error) as exc:
            # RuntimeError: uvloop's answer to a write on a pipe it has seen close.
            raise HelperGone(str(exc) or type(exc).__name__) from exc
        if kind == OK:
            token_length, count, payload_length = _PREPARED.unpack_from(data)
            start = _PREPARED.size
            token = data[start : start + token_length].decode()
            payload = data[start + token_length : start + token_length + payload_length]
            return Prepared(token, count, payload)
        if kind == REFUSED:
            refusal = orjson.loads(data)
            raise RefusedRequest(refusal["status"], refusal["code"], refusal["message"])
        if kind == CRASHED:
            log.error("a capture helper failed on a body:\n%s", data.decode(errors="replace"))
            return None
        raise HelperGone(f"unknown answer kind {kind}")

    async def stop(self, timeout: float = 5.0) -> None:
        if self.process.returncode is not None:
            return
        if self.process.stdin is not None:
            self.process.stdin.close()  # end of input: the helper exits
        try:
            await asyncio.wait_for(self.process.wait(), timeout)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()


class CaptureHelpers:
    """A pool of helper processes, each preparing one body at a time."""

    def __init__(self, count: int, limits: PrepareLimits = DEFAULT_LIMITS) -> None:
        self.count = count
        self.limits = limits
        self._idle: asyncio.Queue[_Helper] | None = None
        self._all: list[_Helper] = []
        self.restarts = 0  # helpers replaced after they stopped (for tests and the log)

    async def start(self) -> None:
        self._idle = asyncio.Queue()
        for _ in range(self.count):
            helper = await _Helper.spawn(self.limits)
            self._all.append(helper)
            self._idle.put_nowait(helper)

    async def prepare(self, body: bytes, facts: RequestFacts) -> Prepared:
        # Shielded: a client that goes away mid-request must not leave a helper half-read.
        return await asyncio.shield(self._prepare(body, facts))

    async def _prepare(self, body: bytes, facts: RequestFacts) -> Prepared:
        assert self._idle is not None, "start() the helpers first"
        helper = await self._idle.get()
        try:
            result = await helper.call(body, facts)
        except HelperGone as exc:
            log.warning("a capture helper stopped (%s); starting another", exc)
            helper = await self._replace(helper)
            result = None
        finally:
            self._idle.put_nowait(helper)
        return result if result is not None else prepare(body, facts, self.limits)

    async def _replace(self, helper: _Helper) -> _Helper:
        if helper.process.returncode is None:
            helper.process.kill()
        await helper.process.wait()
        fresh = await _Helper.spawn(self.limits)
        self._all[self._all.index(helper)] = fresh
        self.restarts += 1
        return fresh

    def pids(self) -> list[int]:
        return [helper.process.pid for helper in self._all]

    async def close(self) -> None:
        await asyncio.gather(*(helper.stop() for helper in self._all))
        self._all.clear()


def _read(stream: BinaryIO, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = stream.read(left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def serve(requests: BinaryIO, answers: BinaryIO, limits: PrepareLimits = DEFAULT_LIMITS) -> None:
    """The helper's loop: one request in, one answer out, until the server closes the pipe."""
    while (head := _read(requests, _REQUEST.size)) is not None:
        facts_length, body_length = _REQUEST.unpack(head)
        facts_json = _read(requests, facts_length)
        body = _read(requests, body_length)
        if facts_json is None or body is None:
            return
        try:
            prepared = prepare(body, RequestFacts.from_json(facts_json), limits)
            token = prepared.token.encode()
            data = (
                _PREPARED.pack(len(token), prepared.count, len(prepared.payload))
                + token
                + prepared.payload
            )
            kind = OK
        except HedgerowError as exc:
            refusal = {"status": exc.status, "code": exc.code, "message": exc.message}
            data, kind = orjson.dumps(refusal), REFUSED
        except Exception:
            data, kind = traceback.format_exc().encode(), CRASHED
        answers.write(_ANSWER.pack(kind, len(data)))
        answers.write(data)
        answers.flush()


def main() -> None:
    # Answers go to a private copy of stdout; anything printed by accident goes to stderr.
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    limits = PrepareLimits.from_json(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_LIMITS
    serve(sys.stdin.buffer, answers, limits)


if __name__ == "__main__":
    main()
