"""Failed sign-ins, counted per email and per client IP over a sliding window.

Past `max_failures` failures of one email, or from one client IP, within `window` seconds,
sign-in is refused (429) until the oldest of them leaves the window, whatever the password:
a guesser learns nothing more. A success clears the email's failures, not the IP's (else
signing in to one's own account would reset the count for guessing others); it only takes
back its own attempt. Kept in memory:
a restart forgets it, which costs a guesser a restart of the server per few attempts.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

MAX_TRACKED = 100_000  # keys kept before stale ones are dropped (bounds memory)


class SignInThrottle:
    def __init__(
        self, max_failures: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        found = self._failures.get(key)
        if found is None:
            return deque()
        while found and now - found[0] >= self.window:
            found.popleft()
        if not found:
            del self._failures[key]
        return found

    def attempt(self, email: str, client_ip: str) -> float | None:
        """Count a sign-in attempt as failed until `succeeded` says otherwise, and return
        None; or, when over the limit, count nothing and return the seconds to wait.

        Counting before the password is checked means a burst of parallel guesses is
        counted in full, not only the ones whose check finished before the next began.
        """
        now = self._clock()
        keys = (f"email:{email}", f"ip:{client_ip}")
        with self._lock:
            waits = []
            for key in keys:
                recent = self._recent(key, now)
                if len(recent) >= self.max_failures:
                    waits.append(recent[-self.max_failures] + self.window - now)
            if waits:
                return max(waits)
            if len(self._failures) > MAX_TRACKED:
                for key in list(self._failures):
                    self._recent(key, now)
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)
        return None

    def succeeded(self, email: str, client_ip: str) -> None:
        """The attempt was right: forget the email's failures and uncount this attempt."""
        with self._lock:
            self._failures.pop(f"email:{email}", None)
            from_ip = self._failures.get(f"ip:{client_ip}")
            if from_ip:
                from_ip.pop()
