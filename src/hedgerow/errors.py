"""One error family for every HTTP answer that is not a success.

Each error carries its HTTP status and a snake_case code; one handler in `app.py` turns it
into `{"status": <http status>, "code": "<code>", "error": "<message>"}`. Messages say what
was wrong and what to do about it.
"""

from __future__ import annotations


class HedgerowError(Exception):
    """Base of every error that becomes an HTTP answer."""

    status: int = 500
    code: str = "internal_error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.headers = dict(headers or {})

    def as_json(self) -> dict[str, object]:
        return {"status": self.status, "code": self.code, "error": self.message}


class BadRequest(HedgerowError):
    """400: the request cannot be used as sent; retrying it unchanged will not help."""

    status = 400
    code = "invalid_payload"


class Unauthorized(HedgerowError):
    """401: a token or key is missing or names nothing this instance knows."""

    status = 401
    code = "authentication_required"


class Forbidden(HedgerowError):
    """403: the key is valid but may not see this project."""

    status = 403
    code = "permission_denied"


class NotFound(HedgerowError):
    status = 404
    code = "not_found"


class RequestTimeout(HedgerowError):
    """408: the client took too long to send its request; the connection is closed."""

    status = 408
    code = "request_timeout"


class PayloadTooLarge(HedgerowError):
    """413: the request is over a size limit; retrying it unchanged will not help."""

    status = 413
    code = "payload_too_large"


class TooManyRequests(HedgerowError):
    """429: over a rate or concurrency limit; retry after `Retry-After` seconds."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, code: str | None = None, retry_after: int = 1) -> None:
        super().__init__(message, code=code, headers={"Retry-After": str(retry_after)})


class ServiceUnavailable(HedgerowError):
    """503: a transient condition (backpressure); clients retry after `Retry-After` seconds."""

    status = 503
    code = "service_unavailable"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        retry_after: int = 5,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(
            message, code=code, headers={"Retry-After": str(retry_after), **(headers or {})}
        )
