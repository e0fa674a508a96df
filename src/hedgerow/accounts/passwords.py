"""Password hashing with argon2id (argon2-cffi), in the RFC 9106 low-memory profile.

Each hash takes 64 MiB and about 0.1 s of one core, by design: that is what makes guessing
expensive. So at most `MAX_CONCURRENT_HASHES` run at once (the rest wait), which bounds the
memory a burst of sign-ins can take; callers in the event loop run these in a thread.
"""

from __future__ import annotations

import functools
import secrets
import threading

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_CONCURRENT_HASHES = 2

_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
_gate = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)


@functools.cache
def _unknown_user_hash() -> str:
    """Checked against when the email is unknown, so that an unknown email takes as long to
    refuse as a wrong password (the time does not tell which emails have accounts)."""
    return _hasher.hash(secrets.token_urlsafe(16))


class WeakPassword(ValueError):
    """A password too short (or absurdly long) to be accepted for a new account."""


def password_problem(password: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"A password needs at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"A password may have at most {MAX_PASSWORD_LENGTH} characters."
    return None


def hash_password(password: str) -> str:
    """The argon2id hash (PHC string: parameters, salt and digest) of a new password."""
    problem = password_problem(password)
    if problem:
        raise WeakPassword(problem)
    with _gate:
        return _hasher.hash(password)


def check_password(stored_hash: str | None, password: str) -> bool:
    """Whether `password` matches `stored_hash` (None: no such user; always False)."""
    against = stored_hash or _unknown_user_hash()
    with _gate:
        try:
            _hasher.verify(against, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False
    return stored_hash is not None


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with other parameters than today's (rehash at sign-in)."""
    return _hasher.check_needs_rehash(stored_hash)
