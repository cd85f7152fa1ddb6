"""What each destination receives: the documented HTTP request of Zoom, YouTube Live and a webhook.

* **zoom** — Zoom's closed-caption REST API (the "API token" a host copies in a
  meeting): ``POST <url>&seq=N&lang=<ll-CC>``, ``Content-Type: text/plain``,
  the caption text as the body. ``seq`` grows by one per new caption, never on
  a retry. Zoom asks for retries of *every* response code, with randomised
  binary exponential back-off.
* **youtube** — YouTube Live's HTTP caption ingestion ("POST captions to
  URL"): ``POST <url>&seq=N``, ``Content-Type: text/plain``, a body of one or
  more ``YYYY-MM-DDTHH:MM:SS.mmm`` lines (UTC, when the speech started), each
  followed by its text line; several captions may go in one post. The
  response body carries the server's time, which corrects our clock.
* **webhook** — the final event as the caption protocol defines it
  (:class:`service.protocol.FinalEvent`), ``application/json``, signed with
  ``X-Floorcast-Signature: sha256=<HMAC-SHA256 of the body>`` under the
  output's secret.

Nothing here does I/O; :mod:`.delivery` sends what these functions build.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal, Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from service.protocol import FinalEvent

__all__ = ["OutputKind", "KINDS", "PostRequest", "Caption", "check_url", "masked", "zoom_lang", "zoom_request",
           "youtube_request", "webhook_request", "youtube_time", "server_time", "retryable", "signature"]

OutputKind = Literal["zoom", "youtube", "webhook"]
KINDS: tuple[str, ...] = ("zoom", "youtube", "webhook")
MAX_URL = 2048
YOUTUBE_BATCH = 20  # captions per post at most, when a backlog has built up
SIGNATURE_HEADER = "X-Floorcast-Signature"
DELIVERY_HEADER = "X-Floorcast-Delivery"
# Zoom names a language with its country (its examples: en-US, es-ES, fr-FR, zh-CN, de-DE).
_ZOOM_TAGS = {"ar": "ar-SA", "en": "en-US", "es": "es-ES", "fr": "fr-FR", "ru": "ru-RU", "zh": "zh-CN",
              "de": "de-DE", "ja": "ja-JP", "ko": "ko-KR", "pt": "pt-PT", "it": "it-IT"}
_OURS = frozenset({"seq", "lang"})  # parameters delivery appends: a URL that already has them is refused
_KEEP_VISIBLE = frozenset({"id", "ns", "sparams"})  # Zoom's meeting id and stream name tell URLs apart
_TIME_LINE = re.compile(r"^\s*(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?)")


@dataclass(frozen=True)
class PostRequest:
    url: str
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class Caption:
    """One final waiting for an output: the event as viewers got it and when its speech started (Unix s)."""

    event: dict
    spoken_at: float

    @property
    def seq(self) -> int:
        return int(self.event["seq"])

    @property
    def text(self) -> str:
        return " ".join(str(self.event.get("text", "")).split())


def check_url(url: str) -> str:
    """The URL as given, or ``ValueError`` saying what is wrong with it."""
    if len(url) > MAX_URL:
        raise ValueError(f"url is longer than {MAX_URL} characters")
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        raise ValueError("url has spaces or control characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError("url must be http:// or https://")
    if not parts.hostname:
        raise ValueError("url has no host")
    if parts.username or parts.password:
        raise ValueError("url must not carry a user name or password")
    if parts.fragment:
        raise ValueError("url must not have a #fragment")
    clash = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)} & _OURS)
    if clash:
        raise ValueError(f"url already has {', '.join(clash)}: give the URL as the platform shows it")
    return url


def masked(url: str) -> str:
    """The URL with its secrets hidden: query values (but a few names) and long path segments, cut to 4 characters."""
    parts = urlsplit(url)
    path = "/".join(seg if len(seg) < 16 else f"{seg[:4]}…" for seg in parts.path.split("/"))
    query = "&".join(f"{name}={value if name in _KEEP_VISIBLE and len(value) < 24 else value[:4] + '…'}"
                     for name, value in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, parts.netloc, path, query, ""))


def _with_params(url: str, **params: str | int) -> str:
    joiner = "&" if urlsplit(url).query else ("" if url.endswith("?") else "?")
    return f"{url}{joiner}{urlencode(params)}"


def zoom_lang(language: str) -> str:
    return _ZOOM_TAGS.get(language, language)


def zoom_request(url: str, seq: int, language: str, caption: Caption) -> PostRequest:
    return PostRequest(_with_params(url, seq=seq, lang=zoom_lang(language)),
                       {"Content-Type": "text/plain"}, caption.text.encode("utf-8"))


def youtube_time(at: float) -> str:
    """``YYYY-MM-DDTHH:MM:SS.mmm`` in UTC, as YouTube's caption ingestion reads it."""
    moment = datetime.fromtimestamp(at, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def youtube_request(url: str, seq: int, captions: Sequence[Caption], times: Sequence[float]) -> PostRequest:
    """``times``: when each caption's speech started, on YouTube's clock (see :func:`server_time`)."""
    body = "".join(f"{youtube_time(at)}\n{c.text}\n" for c, at in zip(captions, times, strict=True))
    return PostRequest(_with_params(url, seq=seq), {"Content-Type": "text/plain"}, body.encode("utf-8"))


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def webhook_request(url: str, seq: int, output_id: str, secret: str, caption: Caption) -> PostRequest:
    """The final as the protocol models it; ``X-Floorcast-Delivery`` (``<output>:<n>``) lets a receiver drop repeats."""
    body = FinalEvent.model_validate(caption.event).model_dump_json(exclude_none=True).encode("utf-8")
    return PostRequest(url, {"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, body),
                             DELIVERY_HEADER: f"{output_id}:{seq}"}, body)


def server_time(body: bytes) -> float | None:
    """The timestamp a caption server answers with (YouTube, Zoom), as Unix seconds; None when there is none."""
    match = _TIME_LINE.match(body[:64].decode("ascii", "replace"))
    if match is None:
        return None
    try:
        return datetime.fromisoformat(match.group(1)).replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def retryable(kind: str, status: int | None) -> bool:
    """Whether a failed post is tried again (``status`` None: no answer: connection error or timeout)."""
    if status is None or status >= 500 or status in (408, 425, 429):
        return True
    return kind == "zoom"  # Zoom asks for retries of every code (400 while the meeting has not started)
