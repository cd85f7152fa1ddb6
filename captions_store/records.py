"""Plain records crossing the store's boundary: what callers pass in and get back.

Routes and the live pipeline never see SQLModel table objects; they hand the
store these frozen dataclasses and receive them back, so a database session
never leaks out of :mod:`captions_store.store`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

__all__ = [
    "SessionRecord", "SegmentIn", "TranslationIn", "SegmentRecord", "TranslationRecord",
    "RevisionRecord", "TranscriptLine", "TranscriptDoc", "SearchHit", "SearchPage", "CaptionRecord",
    "ChannelProgress", "SessionProgress", "SessionAccess", "TokenRecord", "IssuedToken",
    "OutputRecord", "OutputProgress",
]


@dataclass(frozen=True)
class SessionRecord:
    id: str
    title: str
    room: str = ""
    status: str = "live"  # live | ended | interrupted (the server stopped while it was live)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    languages: tuple[str, ...] = ()
    channels: tuple[dict, ...] = ()  # [{"name": "floor", "language": None}, {"name": "booth-fr", "language": "fr"}]
    glossary: tuple[dict, ...] = ()  # [{"term": ..., "renderings": {"fr": ...}}]
    off_record: bool = False
    segment_count: int = 0
    public: bool = False  # captions readable without a token or join code
    join_code: str = field(default="", repr=False)  # viewers of a private session may present it; made when empty
    translation_languages: tuple[str, ...] | None = None  # None: the six UN languages; (): no machine translation


@dataclass(frozen=True)
class SegmentIn:
    """A final caption as recognised, written once."""

    id: str  # "<session>.<channel>.<n>"
    session_id: str
    seq: int
    channel: str
    start_s: float
    end_s: float
    lang: str
    text: str
    words: tuple[dict, ...] = ()  # [{"word", "start", "end", "probability"}]
    speaker: str | None = None


@dataclass(frozen=True)
class TranslationIn:
    segment_id: str
    lang: str
    text: str
    engine: str  # "argos", "apertium", "passthrough"...
    model_version: str = ""
    source_revision: int = 0  # the segment revision this translates
    seq: int | None = None  # the seq of the live event that carried it, if any


@dataclass(frozen=True)
class TranslationRecord:
    segment_id: str
    lang: str
    text: str
    engine: str
    model_version: str
    source_revision: int
    created_at: datetime
    seq: int | None = None  # the seq of the live event that carried it (None: translated after an edit)


@dataclass(frozen=True)
class SegmentRecord:
    id: str
    session_id: str
    seq: int
    channel: str
    start_s: float
    end_s: float
    lang: str
    text: str
    words: tuple[dict, ...]
    speaker: str | None
    revision: int  # 0 as recognised, +1 per edit
    created_at: datetime
    updated_at: datetime
    translations: dict[str, TranslationRecord] = field(default_factory=dict)


@dataclass(frozen=True)
class RevisionRecord:
    segment_id: str
    number: int  # the revision this edit produced (1, 2, ...)
    editor: str
    at: datetime
    text_before: str
    text_after: str
    speaker_before: str | None
    speaker_after: str | None


@dataclass(frozen=True)
class TranscriptLine:
    """One segment of a transcript, in the requested language."""

    segment_id: str
    channel: str
    start_s: float
    end_s: float
    lang: str  # language of ``text``
    source_lang: str  # language the segment was spoken (recognised) in
    text: str
    speaker: str | None
    translated: bool  # True when ``text`` is a translation of the source
    available: bool  # False when a translation was asked for and none exists (``text`` is the source)
    revision: int
    words: tuple[dict, ...] = ()  # word timings, only when ``text`` is the source text


@dataclass(frozen=True)
class TranscriptDoc:
    session: SessionRecord
    lang: str | None  # None: every segment as spoken
    lines: tuple[TranscriptLine, ...]


@dataclass(frozen=True)
class SearchHit:
    segment_id: str
    session_id: str
    session_title: str
    channel: str
    lang: str
    start_s: float
    end_s: float
    speaker: str | None
    text: str
    snippet: str  # HTML-escaped text with <mark>...</mark> around the matched terms
    session_started_at: datetime | None


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    next_cursor: str | None  # opaque; pass back as ``cursor`` for the next page


@dataclass(frozen=True)
class CaptionRecord:
    """One stored caption event for replay: a segment as spoken (``lang`` None) or one of its translations."""

    seq: int
    segment: SegmentRecord
    lang: str | None


@dataclass(frozen=True)
class ChannelProgress:
    segments: int  # highest segment number n of "<session>.<channel>.<n>" stored
    end_s: float  # end of the last stored segment on the session timeline


@dataclass(frozen=True)
class SessionProgress:
    """How far a session's record goes: where a revived session continues."""

    last_seq: int
    channels: dict[str, ChannelProgress] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionAccess:
    """What deciding who may watch a session needs, and no more."""

    session_id: str
    public: bool
    join_code: str = field(repr=False)


@dataclass(frozen=True)
class TokenRecord:
    """An access token as stored: never its secret (the store keeps only a digest of it)."""

    id: str
    role: str  # admin | captioner | staff | viewer
    session_id: str | None  # None: every session
    label: str
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    def state(self, now: datetime) -> str:
        """active, expired or revoked (revoked wins)."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"


@dataclass(frozen=True)
class IssuedToken:
    """A token just created: ``token`` is the whole bearer string, shown this once and never stored."""

    record: TokenRecord
    token: str = field(repr=False)


@dataclass(frozen=True)
class OutputRecord:
    """A caption output: where one language of a session's finals is posted (Zoom, YouTube, a webhook)."""

    id: str
    session_id: str
    kind: str  # zoom | youtube | webhook
    url: str = field(repr=False)  # carries the destination's credentials: shown only masked
    language: str
    created_at: datetime
    secret: str = field(default="", repr=False)  # webhook signing key
    stopped_at: datetime | None = None
    seq: int = 0  # the last sequence number posted to the destination
    through_seq: int = 0  # the last session event dealt with (delivered, or given up on)
    delivered: int = 0
    failed: int = 0
    last_error: str = ""


@dataclass(frozen=True)
class OutputProgress:
    """What delivery has done so far, saved after each post."""

    seq: int
    through_seq: int
    delivered: int
    failed: int
    last_error: str
