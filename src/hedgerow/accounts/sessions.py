"""Server-side sign-in sessions, and the cookies that carry them.

The browser holds a random session id in the HttpOnly cookie `hedgerow_session`; the server
keeps only its SHA-256, with the user, a CSRF token (also sent in the readable cookie
`hedgerow_csrftoken`, for the web app to echo in `X-CSRFToken`) and when it was last used. A
session ends `lifetime` seconds after its last use (sliding) or when its user signs out (the
row is deleted, so a copied cookie stops working at once).

`signed_in(request)` is what page routes ask before serving the web app.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response

from hedgerow.app_tables.connection import connect_app_tables

if TYPE_CHECKING:
    from hedgerow.app_tables.connection import AppTables

SESSION_COOKIE = "hedgerow_session"
CSRF_COOKIE = "hedgerow_csrftoken"
CSRF_HEADER = "x-csrftoken"
# last_seen is written at most this often per session: a page load makes many API calls.
TOUCH_INTERVAL = 60.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    csrf_token TEXT NOT NULL,
    created_at REAL NOT NULL,
    last_seen_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (user_id);
"""


@dataclass(frozen=True)
class Session:
    id_hash: str
    user_id: int
    csrf_token: str
    created_at: float
    last_seen_at: float


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    def __init__(
        self, where: AppTables, lifetime: float, clock: Callable[[], float] = time.time
    ) -> None:
        self._conn = connect_app_tables(where, _SCHEMA)
        self._lock = threading.Lock()
        self.lifetime = lifetime
        self._clock = clock

    def create(self, user_id: int) -> tuple[str, Session]:
        """A new session: its id (for the cookie, never stored) and its row."""
        session_id = secrets.token_urlsafe(32)
        now = self._clock()
        session = Session(_digest(session_id), user_id, secrets.token_urlsafe(32), now, now)
        with self._lock:
            # Sessions left to expire (never signed out) go when someone signs in.
            self._conn.execute(
                "DELETE FROM sessions WHERE last_seen_at < ?", (now - self.lifetime,)
            )
            self._conn.execute(
                "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (session.id_hash, user_id, session.csrf_token, now, now),
            )
        return session_id, session

    def get(self, session_id: str) -> Session | None:
        """The live session of an id, its last use moved to now; None when ended or unknown."""
        if not session_id or len(session_id) > 200:
            return None
        now = self._clock()
        with self._lock:
            row = self._conn.execute(
                "SELECT id_hash, user_id, csrf_token, created_at, last_seen_at FROM sessions"
                " WHERE id_hash = ?",
                (_digest(session_id),),
            ).fetchone()
            if row is None:
                return None
            session = Session(*row)
            if now - session.last_seen_at > self.lifetime:
                self._conn.execute("DELETE FROM sessions WHERE id_hash = ?", (session.id_hash,))
                return None
            if now - session.last_seen_at > TOUCH_INTERVAL:
                self._conn.execute(
                    "UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?",
                    (now, session.id_hash),
                )
        return session

    def end(self, session_id: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM sessions WHERE id_hash = ?", (_digest(session_id),))

    def end_all(self, user_id: int) -> None:
        """End every session of a user (their password changed)."""
        with self._lock:
            self._conn.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def session_of(request: Request) -> tuple[str, Session] | None:
    """The request's session cookie and its live session, if both exist."""
    store: SessionStore | None = getattr(request.app.state, "sessions", None)
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if store is None or not session_id:
        return None
    session = store.get(session_id)
    return (session_id, session) if session else None


def signed_in(request: Request) -> bool:
    """Whether a page request comes from a signed-in browser (a live session cookie)."""
    return session_of(request) is not None


def set_session_cookies(
    response: Response, session_id: str, session: Session, *, lifetime: float, secure: bool
) -> None:
    """Both cookies, lasting as long as an unused session (renewed by `GET /api/users/@me/`)."""
    max_age = int(lifetime)
    response.set_cookie(
        SESSION_COOKIE, session_id, max_age, httponly=True, samesite="lax", secure=secure
    )
    response.set_cookie(
        CSRF_COOKIE, session.csrf_token, max_age, httponly=False, samesite="lax", secure=secure
    )


def clear_session_cookies(response: Response, *, secure: bool) -> None:
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name, httponly=name == SESSION_COOKIE, samesite="lax", secure=secure)
