"""The LibreTranslate engine: a LibreTranslate server a deployment already runs, over its HTTP API.

``GET /languages`` says what the server translates (``[{"code", "name", "targets": [...]}]``; read
once, again after :meth:`LibreTranslateEngine.refresh` or :data:`LANGUAGES_TTL_S`); ``POST /translate``
with ``q`` as a list translates a batch in one request (``format: "text"``, the ``api_key`` when one is
set). Every request has a timeout; connection errors, timeouts, ``429`` and ``5xx`` are tried again
(:attr:`retries` times, the wait doubling from :attr:`backoff_s`); what still fails, and any other
refusal (``400``, ``403`` "Invalid API key"), becomes :class:`EngineFailure` with the server's own
``error`` text, so the facade passes the original line on, marked untranslated.

A server that still has not answered after its retries (hung, down, rate-limiting with ``429``,
failing with ``5xx``) is left to rest for :attr:`rest_s`: meanwhile a batch fails at once, with the reason, and makes no request. Without that, every final
of a live session would wait ``timeout_s`` × tries for a server that is not there, and the
translation queue would grow behind it.

Chosen per direction like the others (``FLOORCAST_TRANSLATION_ENGINES='{"en-ar": "libretranslate"}'``);
in automatic choice it comes after argos and Apertium. Runs in the translation worker's threads.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from models.translation.engine import NO_COVERAGE, Coverage, EngineFailure, UnsupportedDirection
from models.translation.languages import UN_CODES

__all__ = ["LibreTranslateEngine", "ServerUnavailable", "LANGUAGES_TTL_S", "UNANSWERED_TTL_S"]

LANGUAGES_TTL_S = 300.0
UNANSWERED_TTL_S = 30.0  # a server that did not answer is asked again this soon
_RETRY_STATUS = {429, 500, 502, 503, 504}
_SERVER_CODES = {"zh-hans": "zh"}  # zh-Hant (traditional) is not the UN's Chinese


class ServerUnavailable(EngineFailure):
    """No answer, ``429`` or ``5xx`` after every try."""


class LibreTranslateEngine:
    name = "libretranslate"

    def __init__(self, url: str, *, api_key: str = "", timeout_s: float = 10.0, retries: int = 2,
                 backoff_s: float = 0.2, rest_s: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.rest_s = rest_s
        self._resting_until = 0.0
        self._rest_reason = ""
        self._client = httpx.Client(base_url=self.url, timeout=timeout_s, headers={"Accept": "application/json"})
        self._lock = threading.Lock()
        self._directions: frozenset[tuple[str, str]] | None = None
        self._read_at = 0.0
        self.last_error: str | None = None  # why the server could not be read, for translation-status
        self.requests = 0
        self.retried = 0

    # discovery

    @property
    def version(self) -> str:
        return f"LibreTranslate at {self.url}"

    def refresh(self) -> None:
        """Ask the server for its languages again, and end a rest (an operator says it is back)."""
        with self._lock:
            self._directions = None
            self._resting_until = 0.0

    def directions(self) -> frozenset[tuple[str, str]]:
        """The UN directions the server translates (empty when it does not answer)."""
        with self._lock:
            ttl_s = LANGUAGES_TTL_S if self.last_error is None else UNANSWERED_TTL_S
            fresh = self._directions is not None and time.monotonic() - self._read_at < ttl_s
            if fresh:
                return self._directions
            try:
                languages = self._request("GET", "/languages")
                pairs = ((_un_code(entry["code"]), _un_code(target)) for entry in languages
                         for target in entry.get("targets", ()))
                self._directions = frozenset((src, tgt) for src, tgt in pairs
                                             if src in UN_CODES and tgt in UN_CODES and src != tgt)
                self.last_error = None
            except (EngineFailure, KeyError, TypeError) as exc:
                self._directions, self.last_error = frozenset(), str(exc)
            self._read_at = time.monotonic()
            return self._directions

    def server_status(self) -> dict[str, Any]:
        """For translation-status: the server, whether it answered, the UN directions it serves."""
        directions = sorted(f"{src}-{tgt}" for src, tgt in self.directions())
        resting_s = max(0.0, self._resting_until - time.monotonic())
        return {"url": self.url, "answers": self.last_error is None and not resting_s, "directions": directions,
                "error": self.last_error or (self._rest_reason if resting_s else None),
                "resting_s": round(resting_s, 1)}

    def covers(self, src: str, tgt: str) -> bool:
        return (src, tgt) in self.directions()

    def coverage(self, src: str, tgt: str) -> Coverage:
        return Coverage("direct", model_version=self.version) if self.covers(src, tgt) else NO_COVERAGE

    # translation

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        if not self.covers(src, tgt):
            raise UnsupportedDirection(src, tgt, self.name)
        if not texts:
            return []
        resting_s = self._resting_until - time.monotonic()
        if resting_s > 0:
            raise EngineFailure(f"{self._rest_reason}; not asked again for {resting_s:.0f} s")
        body: dict[str, Any] = {"q": texts, "source": src, "target": tgt, "format": "text"}
        if self.api_key:
            body["api_key"] = self.api_key
        try:
            answer = self._request("POST", "/translate", json=body)
        except ServerUnavailable as exc:
            self._rest_reason = str(exc)
            self._resting_until = time.monotonic() + self.rest_s
            raise
        out = answer.get("translatedText") if isinstance(answer, dict) else None
        if isinstance(out, str) and len(texts) == 1:
            out = [out]
        if not isinstance(out, list) or len(out) != len(texts) or not all(isinstance(t, str) for t in out):
            raise EngineFailure(f"LibreTranslate at {self.url} answered {len(texts)} texts with {out!r:.200}")
        return out

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One request, tried again on what may pass (connection, timeout, 429, 5xx); the JSON body."""
        for attempt in range(self.retries + 1):
            self.requests += 1
            try:
                response = self._client.request(method, path, **kwargs)
            except httpx.HTTPError as exc:
                problem = f"LibreTranslate at {self.url} did not answer: {type(exc).__name__} {exc}".strip()
                retry = True
            else:
                if response.is_success:
                    try:
                        return response.json()
                    except ValueError:
                        raise EngineFailure(f"LibreTranslate at {self.url} answered {path} with no JSON") from None
                problem = f"LibreTranslate at {self.url} refused {path}: {response.status_code} {_error_of(response)}"
                retry = response.status_code in _RETRY_STATUS
            if not retry or attempt == self.retries:
                message = problem + (f" (after {attempt + 1} tries)" if attempt else "")
                raise ServerUnavailable(message) if retry else EngineFailure(message)
            self.retried += 1
            time.sleep(self.backoff_s * 2 ** attempt)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._client.close()


def _un_code(code: object) -> str:
    """LibreTranslate names Chinese ``zh-Hans`` (and takes ``zh`` in requests); the UN's Chinese is simplified."""
    code = str(code).lower()
    return _SERVER_CODES.get(code, code)


def _error_of(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("error", body))[:200] if isinstance(body, dict) else str(body)[:200]
