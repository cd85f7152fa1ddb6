"""Live sessions in memory: channels, their recognisers, the session clock and ``seq``.

A :class:`LiveSession` turns a recogniser's events into wire events: it adds
the session-wide ``seq`` (one per event, on the event loop, so strictly
increasing), the channel name, a session-unique ``segment_id`` and the
channel's offset on the session timeline.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

from models.recognizer.decoder import WhisperDecoder
from models.recognizer.events import CaptionEvent, FinalCaption, PartialCaption
from models.recognizer.naive import NaiveRecognizer
from models.recognizer.streamer import RecognizerConfig, StreamingRecognizer
from models.recognizer.worker import ChannelWorker
from service.fanout import Broker
from service.protocol import ChannelPublic, ChannelSpec, SessionCreate, SessionPublic

__all__ = ["ChannelState", "LiveSession", "SessionRegistry", "SessionError"]

RECENT_FINALS = 200


class SessionError(ValueError):
    """A session request that cannot be honoured (HTTP 4xx)."""


@dataclass
class ChannelState:
    spec: ChannelSpec
    worker: ChannelWorker | None = None
    offset_s: float = 0.0
    end_s: float = 0.0
    segment_base: int = 0
    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("audio_s", "busy_s", "partial_decodes", "partials_skipped", "finals", "rejected"), 0))

    @property
    def streaming(self) -> bool:
        return self.worker is not None

    def public(self) -> ChannelPublic:
        numbers = dict(self.totals)
        if self.worker is not None:
            stats = self.worker.recognizer.stats
            for key in numbers:
                numbers[key] += getattr(stats, key)
        return ChannelPublic(name=self.spec.name, language=self.spec.language, streaming=self.streaming,
                             audio_s=round(numbers["audio_s"], 3), busy_s=round(numbers["busy_s"], 3),
                             partial_decodes=int(numbers["partial_decodes"]),
                             partials_skipped=int(numbers["partials_skipped"]), finals=int(numbers["finals"]),
                             rejected=int(numbers["rejected"]))


class LiveSession:
    def __init__(self, session_id: str, spec: SessionCreate, allowed: list[str], broker: Broker,
                 decoder: WhisperDecoder, *, recognizer_config: RecognizerConfig, max_queued_s: float,
                 policy: str = "vad") -> None:
        self.id = session_id
        self.spec = spec
        self.allowed_languages = allowed
        self.created_at = time.time()
        self.status = "live"
        self.channels = {c.name: ChannelState(c) for c in spec.channels}
        self.recent_finals: deque[dict] = deque(maxlen=RECENT_FINALS)
        self._broker = broker
        self._decoder = decoder
        self._config = recognizer_config
        self._max_queued_s = max_queued_s
        self._policy = policy
        self._seq = 0
        self._clock_start: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def last_seq(self) -> int:
        return self._seq

    def public(self) -> SessionPublic:
        return SessionPublic(id=self.id, title=self.spec.title, status=self.status, created_at=self.created_at,
                             allowed_languages=self.allowed_languages, glossary=self.spec.glossary,
                             channels=[c.public() for c in self.channels.values()], last_seq=self._seq,
                             model=self._decoder.name)

    # -- ingest life cycle (event loop) --------------------------------------------
    def open_channel(self, name: str, on_failure) -> ChannelState:
        if self.status != "live":
            raise SessionError("session has ended")
        channel = self.channels.get(name)
        if channel is None:
            raise LookupError(f"session has no channel {name!r}; channels: {', '.join(self.channels)}")
        if channel.worker is not None:
            raise SessionError(f"channel {name!r} already has an ingest client")
        self._loop = asyncio.get_running_loop()
        now = time.monotonic()
        if self._clock_start is None:
            self._clock_start = now
        channel.offset_s = round(max(channel.end_s, now - self._clock_start), 3)
        glossary = ", ".join(self._glossary_terms(channel.spec.language))
        config = RecognizerConfig(
            **{**self._config.__dict__, "allowed_languages": tuple(self.allowed_languages),
               "fixed_language": channel.spec.language, "prompt": glossary})
        recognizer = (NaiveRecognizer(self._decoder, config) if self._policy == "naive"
                      else StreamingRecognizer(self._decoder, config))
        loop = self._loop

        def deliver(events: list[CaptionEvent], channel=channel, base=channel.segment_base) -> None:
            loop.call_soon_threadsafe(self._emit, channel, base, events)

        def failed(exc: BaseException) -> None:
            loop.call_soon_threadsafe(on_failure, exc)

        channel.worker = ChannelWorker(recognizer, on_events=deliver, on_error=failed,
                                       max_queued_s=self._max_queued_s, name=f"{self.id}-{name}")
        channel.worker.start()
        return channel

    def close_channel(self, channel: ChannelState) -> None:
        """Called once the worker has flushed; folds its statistics into the channel's totals."""
        worker = channel.worker
        if worker is None:
            return
        worker.stop()
        stats = worker.recognizer.stats
        for key in channel.totals:
            channel.totals[key] += getattr(stats, key)
        channel.end_s = channel.offset_s + worker.recognizer.now_s
        channel.segment_base += worker.recognizer._segment_count
        channel.worker = None

    def end(self) -> None:
        if self.status == "ended":
            return
        self.status = "ended"
        self._seq += 1
        self._broker.publish(self.id, {"type": "session_ended", "seq": self._seq, "session_id": self.id})

    def _glossary_terms(self, language: str | None) -> list[str]:
        terms = []
        for entry in self.spec.glossary:
            terms.append(entry.renderings.get(language, entry.term) if language else entry.term)
        return terms

    # -- events (event loop) ---------------------------------------------------------
    def _emit(self, channel: ChannelState, base: int, events: list[CaptionEvent]) -> None:
        for event in events:
            self._seq += 1
            wire = self._to_wire(channel, base, event)
            if wire["type"] == "final":
                self.recent_finals.append(wire)
            self._broker.publish(self.id, wire)

    def _to_wire(self, channel: ChannelState, base: int, event: CaptionEvent) -> dict:
        off = channel.offset_s
        common = {"seq": self._seq, "session_id": self.id, "channel": channel.spec.name,
                  "segment_id": f"{self.id}.{channel.spec.name}.{base + event.segment_no}",
                  "lang": event.language, "text": event.text,
                  "start": round(off + event.start_s, 3), "end": round(off + event.end_s, 3)}
        if isinstance(event, PartialCaption):
            return {"type": "partial", **common, "stable": event.stable}
        assert isinstance(event, FinalCaption)
        words = [{"word": w.text, "start": round(off + w.start_s, 3), "end": round(off + w.end_s, 3),
                  "probability": w.probability} for w in event.words]
        return {"type": "final", **common, "words": words}


class SessionRegistry:
    def __init__(self, broker: Broker, decoder: WhisperDecoder, default_languages: frozenset[str], *,
                 recognizer_config: RecognizerConfig, max_queued_s: float, policy: str = "vad") -> None:
        self._policy = policy
        self._sessions: dict[str, LiveSession] = {}
        self._broker = broker
        self._decoder = decoder
        self._default_languages = default_languages
        self._supported = frozenset(decoder.languages) if decoder.multilingual else frozenset({"en"})
        self._config = recognizer_config
        self._max_queued_s = max_queued_s

    def create(self, spec: SessionCreate) -> LiveSession:
        supported = self._supported
        allowed = spec.allowed_languages or sorted(self._default_languages)
        unsupported = sorted(set(allowed) - supported)
        booth = sorted({c.language for c in spec.channels if c.language} - supported)
        if unsupported or booth:
            raise SessionError(f"model {self._decoder.name} cannot recognise: {', '.join(unsupported + booth)}; "
                               f"it supports {len(supported)} languages" + ("" if len(supported) > 1 else " (en)"))
        session_id = secrets.token_urlsafe(6).replace("-", "x").replace("_", "y")
        session = LiveSession(session_id, spec, list(dict.fromkeys(allowed)), self._broker, self._decoder,
                              recognizer_config=self._config, max_queued_s=self._max_queued_s,
                              policy=self._policy)
        self._sessions[session_id] = session
        return session

    def get(self, session_id: str) -> LiveSession | None:
        return self._sessions.get(session_id)

    def all(self) -> list[LiveSession]:
        return sorted(self._sessions.values(), key=lambda s: s.created_at, reverse=True)
