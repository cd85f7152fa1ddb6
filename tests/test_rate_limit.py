"""The rate limiter on its own: moving windows per key, measured on the real clock with short windows."""

from __future__ import annotations

import time

import pytest

from service.rate_limit import GuessLimit, RateLimited, RateLimits, WindowLimit


def test_a_key_gets_count_events_then_is_refused_with_a_retry_time():
    limit = WindowLimit("test", 3, window_s=30, refusal="too many tries")
    for _ in range(3):
        limit.take("10.0.0.1")
    with pytest.raises(RateLimited) as refused:
        limit.take("10.0.0.1")
    assert "too many tries" in str(refused.value) and 29 <= refused.value.retry_after_s <= 30
    assert limit.exhausted("10.0.0.1") and not limit.exhausted("10.0.0.2")
    limit.take("10.0.0.2")  # every key has its own window


def test_check_looks_without_counting():
    limit = WindowLimit("test", 2, window_s=30)
    for _ in range(10):
        limit.check("a")
    assert limit.hit("a") and limit.hit("a") and not limit.hit("a")  # a refused hit is not counted either
    with pytest.raises(RateLimited):
        limit.check("a")


def test_the_window_moves_with_the_events_not_with_the_clock():
    limit = WindowLimit("test", 2, window_s=2)
    limit.take("a")  # t = 0
    time.sleep(1.0)
    limit.take("a")  # t = 1
    assert limit.exhausted("a")
    time.sleep(1.3)  # t = 2.3: the first event has left the window, the second has not
    assert not limit.exhausted("a")
    limit.take("a")  # a fixed window restarted at t = 2 would allow a second one here; a moving one does not
    assert limit.exhausted("a")
    assert limit.retry_after_s("a") == 1  # until the event of t = 1 leaves, at t = 3


def test_each_different_wrong_credential_counts_once():
    guesses = GuessLimit("test", 3, window_s=30, refusal="too many wrong tokens or join codes")
    for _ in range(10):
        guesses.failed("10.0.0.1", "fc_stale_token")  # a page retrying the same stale token
    guesses.check("10.0.0.1")
    guesses.failed("10.0.0.1", "guess 1")
    guesses.failed("10.0.0.1", "guess 2")
    with pytest.raises(RateLimited) as refused:
        guesses.check("10.0.0.1")
    assert "wrong tokens or join codes" in str(refused.value)
    guesses.check("10.0.0.2")  # another address
    guesses.failed("10.0.0.2", "guess 1")  # the same guess from elsewhere counts there
    guesses.check("10.0.0.2")


def test_the_services_limits_count_apart():
    limits = RateLimits(auth_failures_per_minute=1, search_per_minute=2, join_code_failures_per_session_per_minute=3)
    limits.token_failures.failed("127.0.0.1", "a wrong token")
    with pytest.raises(RateLimited):
        limits.token_failures.check("127.0.0.1")
    limits.code_failures.check("127.0.0.1 SESSIONA")  # wrong tokens are no join-code guesses
    assert not limits.search.exhausted("127.0.0.1")  # one name, several limits: separate counts
    limits.search.take("127.0.0.1")
    limits.search.take("127.0.0.1")
    assert limits.search.exhausted("127.0.0.1")


def test_the_join_code_ceiling_of_a_session_counts_every_address():
    limits = RateLimits(auth_failures_per_minute=5, search_per_minute=1, join_code_failures_per_session_per_minute=3)
    for n, address in enumerate(["10.0.0.1", "10.0.0.2", "10.0.0.3"]):
        limits.code_failures.failed(f"{address} S1", f"GUESS{n}")
        limits.session_code_failures.failed("S1", f"GUESS{n}")
        limits.code_failures.check(f"{address} S1")  # each address is far from its own figure
    with pytest.raises(RateLimited) as refused:
        limits.session_code_failures.check("S1")
    assert "viewer token" in str(refused.value)
    limits.session_code_failures.check("S2")
