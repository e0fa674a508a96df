"""The body deadline: a request's body must arrive within `body_timeout` seconds.

Applied at the ASGI level, around the app: the time runs from the moment the headers are
complete (when uvicorn calls the app), and a `receive()` still waiting when it is up raises
`RequestTimeout`. That error travels up through the handler reading the body like any other
refusal, so the client gets the usual JSON (`408 request_timeout`, with CORS on capture
paths) and `Connection: close`; the protocol's lingering close then ends the connection.
Once the body is complete, `receive()` is passed through untouched (it then only reports a
disconnect).
"""

from __future__ import annotations

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hedgerow.errors import RequestTimeout


class BodyDeadline:
    def __init__(self, app: ASGIApp, body_timeout: float) -> None:
        self.app = app
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = anyio.current_time() + self.body_timeout
        body_complete = False

        async def receive_in_time() -> Message:
            nonlocal body_complete
            if body_complete:
                return await receive()
            try:
                with anyio.fail_after(max(0.0, deadline - anyio.current_time())):
                    message = await receive()
            except TimeoutError:
                raise RequestTimeout(
                    f"The request body did not arrive within {self.body_timeout:g} seconds. "
                    "Send the body without pauses, or send smaller requests.",
                    headers={"Connection": "close"},
                ) from None
            body_complete = message["type"] != "http.request" or not message.get("more_body")
            return message

        await self.app(scope, receive_in_time, send)
