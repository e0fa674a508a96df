"""Users and the one-time setup token, in `meta.sqlite3` (or on PostgreSQL: `app_tables`).

A user has an email (kept lower-case, unique), an argon2id password hash, the one
organization they belong to and the project they last chose (`current_project_id`, None
until they choose: then the organization's first project). While no user exists the server
makes a setup token at start; it is stored only as its SHA-256, and creating the first user
with it deletes it.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hedgerow.accounts.passwords import hash_password, password_problem
from hedgerow.app_tables.connection import Conflict, connect_app_tables
from hedgerow.projects import DEFAULT_ORGANIZATION

if TYPE_CHECKING:
    from hedgerow.app_tables.connection import AppTables

MAX_EMAIL = 254

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    organization_id INTEGER NOT NULL,
    current_project_id INTEGER,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at REAL NOT NULL
);
"""
_USER_COLUMNS = "id, email, organization_id, current_project_id, created_at"


@dataclass(frozen=True)
class User:
    id: int
    email: str
    organization_id: int
    current_project_id: int | None
    created_at: float


class UserExists(ValueError):
    """A user with this email exists already."""


class FirstUserError(ValueError):
    """The settings name a first user that cannot be created (bad email, short password)."""


def normalize_email(email: str) -> str:
    return email.strip().lower()


def email_problem(email: str) -> str | None:
    """Why a new user's email is refused, or None (a light check: something@domain.tld)."""
    text = email.strip()
    local, at, domain = text.rpartition("@")
    if not at or not local or "." not in domain.strip(".") or any(c.isspace() for c in text):
        return f"{email!r} is not an email address."
    if len(text) > MAX_EMAIL:
        return f"An email may have at most {MAX_EMAIL} characters."
    return None


def first_user(users: UserStore, admin_email: str, admin_password: str) -> str | None:
    """At start, while no user exists: create the one the settings name, or else make a
    one-time setup token and return it (for the start-up banner's link)."""
    if users.count() > 0:
        return None
    if not admin_email and not admin_password:
        return users.new_setup_token()
    if not admin_email or not admin_password:
        raise FirstUserError("set both admin_email and admin_password, or neither")
    problem = email_problem(admin_email) or password_problem(admin_password)
    if problem:
        raise FirstUserError(f"admin_email/admin_password: {problem}")
    users.create(admin_email, hash_password(admin_password))
    return None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class UserStore:
    def __init__(self, where: AppTables) -> None:
        self._conn = connect_app_tables(where, _SCHEMA)
        self._lock = threading.Lock()

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM users").fetchone()[0])

    def create(
        self, email: str, password_hash: str, organization_id: int = DEFAULT_ORGANIZATION
    ) -> User:
        try:
            with self._lock:
                [(user_id,)] = self._conn.execute(
                    "INSERT INTO users (email, password_hash, organization_id, created_at)"
                    " VALUES (?, ?, ?, ?) RETURNING id",
                    (normalize_email(email), password_hash, organization_id, time.time()),
                ).rows
        except Conflict:
            raise UserExists(f"A user with the email {email!r} exists already.") from None
        user = self.by_id(int(user_id))
        assert user is not None
        return user

    def by_id(self, user_id: int) -> User | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_USER_COLUMNS} FROM users WHERE id = ?", (user_id,)
            ).fetchone()
        return User(*row) if row else None

    def with_password(self, email: str) -> tuple[User, str] | None:
        """The user of an email and their password hash (for checking a sign-in)."""
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_USER_COLUMNS}, password_hash FROM users WHERE email = ?",
                (normalize_email(email),),
            ).fetchone()
        return (User(*row[:-1]), row[-1]) if row else None

    def set_password(self, email: str, password_hash: str) -> User | None:
        """Change a user's password hash; None when no user has this email."""
        with self._lock:
            self._conn.execute(
                "UPDATE users SET password_hash = ? WHERE email = ?",
                (password_hash, normalize_email(email)),
            )
        found = self.with_password(email)
        return found[0] if found else None

    def set_current_project(self, user_id: int, project_id: int) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE users SET current_project_id = ? WHERE id = ?", (project_id, user_id)
            )

    # -- the one-time setup token ------------------------------------------------------

    def new_setup_token(self) -> str:
        """A fresh setup token; any earlier one stops working."""
        token = secrets.token_urlsafe(32)
        with self._lock, self._conn.transaction() as tx:
            tx.execute("DELETE FROM setup_tokens")
            tx.execute(
                "INSERT INTO setup_tokens (token_hash, created_at) VALUES (?, ?)",
                (_digest(token), time.time()),
            )
        return token

    def use_setup_token(self, token: str) -> bool:
        """Spend the setup token: True once for the right token, while no user exists."""
        with self._lock, self._conn.transaction() as tx:
            [(users,)] = tx.execute("SELECT count(*) FROM users").rows
            matched = tx.execute(
                "DELETE FROM setup_tokens WHERE token_hash = ?", (_digest(token),)
            ).rowcount
            if users == 0 and matched:
                tx.execute("DELETE FROM setup_tokens")
        return bool(users == 0 and matched)

    def close(self) -> None:
        with self._lock:
            self._conn.close()
