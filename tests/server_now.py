"""Expectations that depend on the instant the server answered at: a relative date range
(`-30d`, no `date_from`), a summary up to "today", a mean over the periods complete "now".

The server reads its own clock when it answers; a test that computes its expectation from
an instant taken earlier (at import, in a module fixture) is wrong once a day (or an hour,
a week, a month) began in between, as on a run that crosses UTC midnight. `asked_now` asks,
computes the expectation for the instants just before and just after the answer, and asks
again while the two differ, so the expectation is the one for the server's instant.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

Answer = TypeVar("Answer")
Expected = TypeVar("Expected")


def asked_now(
    ask: Callable[[], Answer], expect: Callable[[datetime], Expected], tries: int = 3
) -> tuple[Answer, Expected]:
    """`ask()`'s answer and `expect(instant)` for the instant the server answered at (UTC)."""
    for _ in range(tries):
        before = datetime.now(UTC)
        answer = ask()
        expected = expect(before)
        if expect(datetime.now(UTC)) == expected:
            return answer, expected
    raise AssertionError(f"the expectation changed during each of {tries} answers")
