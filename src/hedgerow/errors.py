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

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

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


class PayloadTooLarge(HedgerowError):
    status = 413
    code = "payload_too_large"


class ServiceUnavailable(HedgerowError):
    """503: a transient condition; clients should retry later."""

    status = 503
    code = "service_unavailable"
