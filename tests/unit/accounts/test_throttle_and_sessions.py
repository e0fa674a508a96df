"""Failed sign-ins counted over a window, and sessions that slide and end, on a fake clock."""

from __future__ import annotations

from hedgerow.accounts.sessions import SessionStore
from hedgerow.accounts.throttle import SignInThrottle
from hedgerow.app_tables.connection import AppTables


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_failures_block_until_they_leave_the_window() -> None:
    clock = Clock()
    throttle = SignInThrottle(max_failures=3, window=300, clock=clock)
    for _ in range(3):
        assert throttle.attempt("a@x.io", "1.2.3.4") is None  # then fails
        clock.now += 10
    assert throttle.attempt("a@x.io", "1.2.3.4") == 270  # first failure + 300 - now
    assert throttle.attempt("a@x.io", "5.6.7.8") == 270  # the email, from any address
    assert throttle.attempt("b@x.io", "1.2.3.4") == 270  # the address, for any email
    assert throttle.attempt("b@x.io", "5.6.7.8") is None
    clock.now += 270
    assert throttle.attempt("a@x.io", "1.2.3.4") is None


def test_success_clears_the_email_and_its_own_attempt_only() -> None:
    throttle = SignInThrottle(max_failures=2, window=60, clock=Clock())
    for _ in range(5):  # signing in right, again and again, is never limited
        assert throttle.attempt("a@x.io", "1.2.3.4") is None
        throttle.succeeded("a@x.io", "1.2.3.4")
    assert throttle.attempt("b@x.io", "1.2.3.4") is None  # a failure for b
    assert throttle.attempt("a@x.io", "1.2.3.4") is None
    throttle.succeeded("a@x.io", "1.2.3.4")
    assert throttle.attempt("c@x.io", "1.2.3.4") is None  # a second failure from the address
    assert throttle.attempt("d@x.io", "1.2.3.4") is not None  # the address is over
    assert throttle.attempt("a@x.io", "9.9.9.9") is None


def test_sessions_slide_and_end(app_tables: AppTables) -> None:
    clock = Clock()
    store = SessionStore(app_tables, lifetime=1000, clock=clock)
    session_id, session = store.create(user_id=7)
    clock.now += 900
    assert store.get(session_id) == session  # used within the lifetime: it slides
    clock.now += 900
    found = store.get(session_id)
    assert found is not None and found.user_id == 7 and found.csrf_token == session.csrf_token
    clock.now += 1001
    assert store.get(session_id) is None  # unused for longer than the lifetime
    other_id, _ = store.create(user_id=7)
    assert store.get("made-up") is None
    store.end(other_id)
    assert store.get(other_id) is None
    third, _ = store.create(user_id=7)
    store.end_all(7)
    assert store.get(third) is None
    store.close()
