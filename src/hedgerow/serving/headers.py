"""Security headers on every answer, added at the ASGI level around the whole app.

Every answer gets `X-Content-Type-Options: nosniff` (a browser never runs a JSON answer or
an event's text as a script or a page). Every HTML answer also gets a Content-Security-Policy
that allows scripts, styles and connections from this server only (no inline script, no
third-party origin: captured data shown in the web app cannot run code even if it slipped
into the page), `X-Frame-Options: DENY` and `frame-ancestors 'none'` (no framing, so no
clickjacking), and `Referrer-Policy: same-origin`. Capture's CORS headers are untouched:
SDKs on other sites still send, and `/static/hedgerow.js` still loads anywhere.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
Headers = tuple[tuple[bytes, bytes], ...]
ALL_ANSWERS: Headers = ((b"x-content-type-options", b"nosniff"),)
HTML_ANSWERS: Headers = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                content_type = next((v for n, v in headers if n.lower() == b"content-type"), b"")
                wanted = ALL_ANSWERS
                if content_type.lower().startswith(b"text/html"):
                    wanted += HTML_ANSWERS
                headers += [(name, value) for name, value in wanted if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
