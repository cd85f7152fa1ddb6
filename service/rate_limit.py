"""Rate limits: wrong credentials per client address and per join-code target, searches per token.

A valid credential is never refused for someone else's failures: a known
token (the admin token, any issued token) is checked before any limit.

* ``token_failures``: a client address that presented
  :data:`Settings.auth_failures_per_minute` different unknown tokens within the
  last minute gets 429 (websockets: close 4429) for further unknown tokens, until
  the oldest of those failures is a minute old. Tokens are 256 bits: the limit
  keeps a guesser from costing the store lookups, not from finding one.
* ``code_failures``: wrong join codes are counted per client address *and
  session*, the target of the guess: an address that presented the figure of
  different wrong codes for one session gets 429 for that session's join code
  (the right one too: otherwise the limit would tell the guesser when it is
  right) and nothing else. Delegates behind the same NAT who join other
  sessions, or hold tokens, are not affected.
* ``session_code_failures``: at most
  :data:`Settings.join_code_failures_per_session_per_minute` different wrong
  codes for one session a minute from all addresses together; past that, that
  session's join code is refused everywhere until the window moves. Only a
  guesser spread over many addresses gets there: the ceiling is what keeps a
  join code (about 40 bits) out of reach of an address pool, and it never
  touches tokens or captions already open.
* ``search``: each token may search :data:`Settings.search_per_minute` times a
  minute (429 after that).

Presenting no credential is no failure (public sessions, ``/healthz``), and
presenting the same wrong one again counts once: a guesser needs new guesses,
while a page that keeps reconnecting with a stale token does not lock out anyone.

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
    """Wrong credentials per key (an address, a session, both); each different one counts once per window."""

    def __init__(self, name: str, count: int, *, refusal: str, window_s: int = 60,
                 storage: Storage | None = None) -> None:
        storage = storage or MemoryStorage()
        self.failures = WindowLimit(name, count, window_s=window_s, storage=storage, refusal=refusal)
        self._seen = WindowLimit(f"{name}-seen", 1, window_s=window_s, storage=storage)

    def check(self, key: str) -> None:
        """Raise :class:`RateLimited` if ``key`` may have no more credentials tried for now."""
        self.failures.check(key)

    def failed(self, key: str, credential: str) -> None:
        """``credential`` was wrong: count it, unless it was presented for this key already in the window."""
        digest = hashlib.sha256(credential.encode()).hexdigest()[:32]  # the credential itself is not kept
        if self._seen.hit(f"{key} {digest}"):
            self.failures.hit(key)


class RateLimits:
    """The service's limits, sharing one in-memory store."""

    def __init__(self, *, auth_failures_per_minute: int, search_per_minute: int,
                 join_code_failures_per_session_per_minute: int = 100) -> None:
        storage = MemoryStorage()
        self.token_failures = GuessLimit("token-failures", auth_failures_per_minute, storage=storage,
                                         refusal="too many unknown tokens from this address")
        self.code_failures = GuessLimit("code-failures", auth_failures_per_minute, storage=storage,
                                        refusal="too many wrong join codes for this session from this address")
        self.session_code_failures = GuessLimit(
            "session-code-failures", join_code_failures_per_session_per_minute, storage=storage,
            refusal="too many wrong join codes for this session; use a viewer token or wait")
        self.search = WindowLimit("search", search_per_minute, storage=storage, refusal="too many searches")
