"""Rate limits: wrong credentials per client address, searches per token.

* ``auth_failures``: a client address that presented :data:`Settings.auth_failures_per_minute`
  different wrong tokens or join codes within the last minute gets 429
  (websockets: close 4429) for any credential it presents, right or wrong,
  until the oldest of those failures is a minute old. Presenting no
  credential is no failure (public sessions, ``/healthz``), and presenting
  the same wrong one again counts once: a guesser needs new guesses, while a
  page that keeps reconnecting with a stale token does not lock out everyone
  behind its address. This is what makes guessing a join code (about 40
  bits) hopeless; tokens (256 bits) are hopeless anyway.
* ``search``: each token may search :data:`Settings.search_per_minute` times a
  minute (429 after that).

Moving windows from the ``limits`` library, counted in this process: with
several instances behind a load balancer each counts on its own, so a client
spread over N instances gets up to N times the figure.
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage, Storage
from limits.strategies import MovingWindowRateLimiter

__all__ = ["RateLimited", "WindowLimit", "GuessLimit", "RateLimits"]


class RateLimited(Exception):
    """Over a limit: try again in ``retry_after_s`` seconds."""

    def __init__(self, what: str, retry_after_s: int) -> None:
        super().__init__(f"{what}; retry in {retry_after_s} s")
        self.retry_after_s = retry_after_s


class WindowLimit:
    """At most ``count`` events per key in any ``window_s`` seconds."""

    def __init__(self, name: str, count: int, *, window_s: int = 60, storage: Storage | None = None,
                 refusal: str = "too many requests") -> None:
        self.name = name
        self.count = count
        self.window_s = window_s
        self.refusal = refusal
        self._item = RateLimitItemPerSecond(count, window_s)
        self._limiter = MovingWindowRateLimiter(storage or MemoryStorage())

    def exhausted(self, key: str) -> bool:
        return not self._limiter.test(self._item, self.name, key)

    def hit(self, key: str) -> bool:
        """Count one event; False when it was over the limit (and so not counted)."""
        return self._limiter.hit(self._item, self.name, key)

    def retry_after_s(self, key: str) -> int:
        """Whole seconds until one more event would be allowed (at least 1)."""
        reset_time = self._limiter.get_window_stats(self._item, self.name, key).reset_time
        return max(1, math.ceil(reset_time - time.time()))

    def check(self, key: str) -> None:
        """Raise :class:`RateLimited` if ``key`` has no event left, without counting one."""
        if self.exhausted(key):
            raise RateLimited(self.refusal, self.retry_after_s(key))

    def take(self, key: str) -> None:
        """Count one event, or raise :class:`RateLimited` if there is none left."""
        if not self.hit(key):
            raise RateLimited(self.refusal, self.retry_after_s(key))


class GuessLimit:
    """Wrong credentials per client address; each different one counts once per window."""

    def __init__(self, count: int, *, window_s: int = 60, storage: Storage | None = None) -> None:
        storage = storage or MemoryStorage()
        self.failures = WindowLimit("auth-failures", count, window_s=window_s, storage=storage,
                                    refusal="too many wrong tokens or join codes from this address")
        self._seen = WindowLimit("auth-failure-seen", 1, window_s=window_s, storage=storage)

    def check(self, address: str) -> None:
        """Raise :class:`RateLimited` if this address may present no more credentials for now."""
        self.failures.check(address)

    def failed(self, address: str, credential: str) -> None:
        """``credential`` was wrong: count it, unless this address presented it already in the window."""
        digest = hashlib.sha256(credential.encode()).hexdigest()[:32]  # the credential itself is not kept
        if self._seen.hit(f"{address} {digest}"):
            self.failures.hit(address)


class RateLimits:
    """The service's limits, sharing one in-memory store."""

    def __init__(self, *, auth_failures_per_minute: int, search_per_minute: int) -> None:
        storage = MemoryStorage()
        self.auth_failures = GuessLimit(auth_failures_per_minute, storage=storage)
        self.search = WindowLimit("search", search_per_minute, storage=storage, refusal="too many searches")
