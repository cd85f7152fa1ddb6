"""Live sessions in memory: channels, their recognisers, the session clock and ``seq``.

A :class:`LiveSession` turns a recogniser's events into wire events: it adds
the session-wide ``seq`` (one per event, on the event loop, so strictly
increasing), the channel name, a session-unique ``segment_id`` and the
channel's offset on the session timeline.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable
from datetime import datetime, timezone

from captions_store.records import SegmentIn, SessionProgress, SessionRecord, TranslationIn
from captions_store.tokens_store import new_join_code

from models.recognizer.decoder import WhisperDecoder
from models.recognizer.events import CaptionEvent, FinalCaption, PartialCaption
from models.recognizer.naive import NaiveRecognizer
from models.recognizer.streamer import RecognizerConfig, StreamingRecognizer
from models.recognizer.worker import ChannelWorker
from service.fanout import Bus
from service.language_watch import LanguageWatch, english_only_warning
from service.live_translation import LiveTranslation
from service.outbox import Outbox
from service.store_writer import StoreWriter
from service.protocol import ChannelPublic, ChannelSpec, GlossaryEntry, SessionCreate, SessionPublic
from service.settings import UN_LANGUAGES

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
    speaker: str | None = None  # label attached to the finals that follow ("Chair", "Delegate of Peru")
    timeline_wall: float = 0.0  # wall-clock time (Unix s) of session time 0 as this channel's ingest counts it
    totals: dict[str, float] = field(default_factory=lambda: dict.fromkeys(
        ("audio_s", "busy_s", "partial_decodes", "partials_skipped", "finals", "rejected"), 0))
    rejected_reasons: dict[str, int] = field(default_factory=dict)  # of ingest clients that have left
    language: LanguageWatch = field(default_factory=LanguageWatch)

    @property
    def streaming(self) -> bool:
        return self.worker is not None

    def public(self) -> ChannelPublic:
        numbers = dict(self.totals)
        reasons = dict(self.rejected_reasons)
        if self.worker is not None:
            stats = self.worker.recognizer.stats
            for key in numbers:
                numbers[key] += getattr(stats, key)
            reasons = _merged(reasons, stats.rejected_reasons)
        return ChannelPublic(name=self.spec.name, language=self.spec.language, streaming=self.streaming,
                             audio_s=round(numbers["audio_s"], 3), busy_s=round(numbers["busy_s"], 3),
                             partial_decodes=int(numbers["partial_decodes"]),
                             partials_skipped=int(numbers["partials_skipped"]), finals=int(numbers["finals"]),
                             rejected=int(numbers["rejected"]), rejected_reasons=reasons,
                             language_warning=self.language.warning())


def _merged(a: dict[str, int], b: dict[str, int]) -> dict[str, int]:
    return {key: a.get(key, 0) + b.get(key, 0) for key in sorted({*a, *b})}


class LiveSession:
    def __init__(self, session_id: str, spec: SessionCreate, allowed: list[str], broker: Bus,
                 decoder: WhisperDecoder, *, recognizer_config: RecognizerConfig, max_queued_s: float,
                 policy: str = "vad", writer: StoreWriter | None = None,
                 translation: LiveTranslation | None = None, missing_directions: list[str] = (),
                 join_code: str = "", inference_nice: int = 0) -> None:
        self.id = session_id
        self._inference_nice = inference_nice
        self.spec = spec
        self.allowed_languages = allowed
        self.created_at = time.time()
        self.status = "live"
        self.created_by: str | None = None  # the key of the principal that created it here (the cap per token)
        self.ended_at: float | None = None
        self.audio_at = time.monotonic()  # newest audio frame (or creation)
        self.ingests = 0  # ingest websockets connected now
        self.idle_since: float | None = None  # the last of them left then (None: none ever came)
        self.off_record = spec.off_record
        self._writer = writer
        self._translation = translation
        self.missing_directions = list(missing_directions)
        self.join_code = join_code or new_join_code()  # viewers of a private session may present it
        self.translation_languages = list(UN_LANGUAGES if spec.translation_languages is None else spec.translation_languages)
        self.translation_glossary = {g.term: dict(g.renderings) for g in spec.glossary} or None
        self._outbox = Outbox(self._publish)
        self.channels = {c.name: ChannelState(c, language=LanguageWatch(tuple(allowed))) for c in spec.channels}
        self.recent_finals: deque[dict] = deque(maxlen=RECENT_FINALS)
        self.listeners: list[Callable[[dict], None]] = []  # also told of each released event (caption outputs)
        self._broker = broker
        self._decoder = decoder
        self._config = recognizer_config
        self._max_queued_s = max_queued_s
        self._policy = policy
        self._seq = 0
        self.published_seq = 0  # seq of the last event released to viewers
        self._clock_start: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def last_seq(self) -> int:
        return self._seq

    def public(self) -> SessionPublic:
        return SessionPublic(id=self.id, title=self.spec.title, room=self.spec.room, status=self.status,
                             created_at=self.created_at, ended_at=self.ended_at, off_record=self.off_record,
                             allowed_languages=self.allowed_languages, glossary=self.spec.glossary,
                             channels=[c.public() for c in self.channels.values()], last_seq=self._seq,
                             model=self._decoder.name, translation_languages=self.translation_languages,
                             missing_directions=self.missing_directions, public=self.spec.public,
                             join_code=self.join_code,
                             model_warning=english_only_warning(self._decoder.name, self._decoder.multilingual))

    def translation_targets(self, source_lang: str) -> tuple[str, ...]:
        return tuple(lang for lang in self.translation_languages if lang != source_lang)

    def record(self) -> SessionRecord:
        """What the store keeps about this session."""
        return SessionRecord(
            id=self.id, title=self.spec.title, room=self.spec.room, status=self.status,
            started_at=datetime.fromtimestamp(self.created_at, timezone.utc),
            languages=tuple(self.allowed_languages),
            channels=tuple(c.model_dump() for c in self.spec.channels),
            glossary=tuple(g.model_dump() for g in self.spec.glossary), off_record=self.off_record,
            public=self.spec.public, join_code=self.join_code,
            translation_languages=None if self.spec.translation_languages is None
            else tuple(self.spec.translation_languages))

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
        now = self.audio_at = time.monotonic()
        if self._clock_start is None:
            self._clock_start = now
        channel.offset_s = round(max(channel.end_s, now - self._clock_start), 3)
        channel.timeline_wall = time.time() - channel.offset_s
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
                                       max_queued_s=self._max_queued_s, name=f"{self.id}-{name}",
                                       nice=self._inference_nice)
        channel.worker.start()
        return channel

    def restore(self, progress: SessionProgress, seq: int) -> None:
        self._seq = self.published_seq = seq
        for name, channel in self.channels.items():
            done = progress.channels.get(name)
            if done is not None:
                channel.segment_base, channel.end_s = done.segments, done.end_s

    async def published(self, timeout_s: float = 30.0) -> None:
        """Wait until every event emitted so far has reached the viewers (finals after their commit),
        translations of its finals included."""
        if self._translation is not None:
            await asyncio.to_thread(self._translation.wait_idle, timeout_s)
            await asyncio.sleep(0)  # results hop to the loop with call_soon_threadsafe
        await asyncio.wait_for(self._outbox.drained(), timeout_s)

    def close_channel(self, channel: ChannelState) -> None:
        """Called once the worker has flushed; folds its statistics into the channel's totals."""
        worker = channel.worker
        if worker is None:
            return
        worker.stop()
        stats = worker.recognizer.stats
        for key in channel.totals:
            channel.totals[key] += getattr(stats, key)
        channel.rejected_reasons = _merged(channel.rejected_reasons, stats.rejected_reasons)
        channel.end_s = channel.offset_s + worker.recognizer.now_s
        channel.segment_base += worker.recognizer._segment_count
        channel.worker = None

    def end(self, reason: str = "ended") -> None:
        """No more audio; viewers get ``session_ended`` (why: see :mod:`service.session_lifecycle`)."""
        if self.status == "ended":
            return
        self.status, self.ended_at = "ended", time.time()
        self._seq += 1
        self._outbox.put({"type": "session_ended", "seq": self._seq, "session_id": self.id, "reason": reason})

    # -- changes made by staff and the captioner (event loop) -------------------------------
    def set_off_record(self, on: bool) -> None:
        """Off the record: captions keep flowing to viewers, nothing is stored while it is on."""
        if on == self.off_record:
            return
        self.off_record = on
        self._seq += 1
        self._outbox.put({"type": "record", "seq": self._seq, "session_id": self.id, "off_record": on})

    def set_speaker(self, channel_name: str, label: str | None) -> None:
        channel = self.channels.get(channel_name)
        if channel is None:
            raise LookupError(f"session has no channel {channel_name!r}")
        channel.speaker = label or None

    def publish_correction(self, segment_id: str, text: str, speaker: str | None, revision: int, lang: str,
                           source_lang: str | None = None) -> None:
        """An edited final, so live viewers replace the line they already show (``source_lang``: a translation)."""
        self._seq += 1
        event = {"type": "correction", "seq": self._seq, "session_id": self.id, "segment_id": segment_id,
                 "lang": lang, "text": text, "speaker": speaker, "revision": revision}
        if source_lang is not None:
            event["source_lang"] = source_lang
        self._outbox.put(event)

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
            translate = self._translation is not None and channel.spec.language is None  # booths are not translated
            if isinstance(event, FinalCaption):
                channel.language.observe(event)
            if wire["type"] != "final":
                self._outbox.put(wire)
                if translate:
                    self._translation.partial(self, wire)
                continue
            if self.off_record or self._writer is None:
                self._outbox.put(wire)
            else:
                entry = self._outbox.put(wire, pending=True)  # viewers get it once it is committed
                self._writer.submit([_segment_in(wire)], done=self._releaser([entry]))
            if translate:
                self._translation.final(self, wire, audio=getattr(event, "audio", None))

    def emit_translations(self, source: dict, results: dict) -> None:
        """One event per target language for a translated final or partial; finals stored before shown."""
        stored: list[TranslationIn] = []
        pending = []
        for lang, result in results.items():
            self._seq += 1
            event = {"type": source["type"], "seq": self._seq, "session_id": self.id, "channel": source["channel"],
                     "segment_id": source["segment_id"], "lang": lang, "text": result.text,
                     "start": source["start"], "end": source["end"], "source_lang": source["lang"],
                     "translated": result.translated}
            if source["type"] == "partial":
                self._outbox.put({**event, "stable": 0})
                continue
            event.update(words=[], speaker=source.get("speaker"), engine=result.engine)
            keep = result.translated and not self.off_record and self._writer is not None
            if keep:
                stored.append(TranslationIn(segment_id=source["segment_id"], lang=lang, text=result.text,
                                            engine=result.engine or "", model_version=result.model_version or "",
                                            source_revision=0, seq=self._seq))
            entry = self._outbox.put(event, pending=keep)
            if keep:
                pending.append(entry)
        if stored:
            self._writer.submit([], stored, done=self._releaser(pending))

    def _releaser(self, entries: list):
        loop = self._loop or asyncio.get_running_loop()

        def release(stored: bool) -> None:
            for entry in entries:
                loop.call_soon_threadsafe(self._outbox.release, entry)
        return release

    def _publish(self, event: dict) -> None:
        """The outbox releases events here in ``seq`` order; finals only once committed."""
        self.published_seq = event["seq"]
        event["published_at"] = round(time.time(), 4)  # wall clock: lets clients measure delivery delay
        if event["type"] == "final":
            self.recent_finals.append(event)
        elif event["type"] == "correction":
            for n, final in enumerate(self.recent_finals):
                if final["segment_id"] == event["segment_id"] and final["lang"] == event["lang"]:
                    self.recent_finals[n] = {**final, "text": event["text"], "speaker": event["speaker"]}
        self._broker.publish(self.id, event)
        for listener in self.listeners:
            listener(event)

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
        return {"type": "final", **common, "words": words, "speaker": channel.speaker}


def _segment_in(wire: dict) -> SegmentIn:
    return SegmentIn(id=wire["segment_id"], session_id=wire["session_id"], seq=wire["seq"],
                     channel=wire["channel"], start_s=wire["start"], end_s=wire["end"], lang=wire["lang"],
                     text=wire["text"], words=tuple(wire["words"]), speaker=wire["speaker"])


class SessionRegistry:
    def __init__(self, broker: Bus, decoder: WhisperDecoder, default_languages: frozenset[str], *,
                 recognizer_config: RecognizerConfig, max_queued_s: float, policy: str = "vad",
                 writer: StoreWriter | None = None, translation: LiveTranslation | None = None,
                 inference_nice: int = 0) -> None:
        self._policy = policy
        self._inference_nice = inference_nice
        self._writer = writer
        self._translation = translation
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
        session_id = new_join_code()  # the join codes' alphabet: no look-alikes to read out or type from a projector
        return self._add(session_id, spec, list(dict.fromkeys(allowed)))

    def _add(self, session_id: str, spec: SessionCreate, allowed: list[str], **extra) -> LiveSession:
        """A LiveSession wired to this process's decoder, writer, translator and bus, registered."""
        session = LiveSession(session_id, spec, allowed, self._broker, self._decoder, recognizer_config=self._config,
                              max_queued_s=self._max_queued_s, policy=self._policy, writer=self._writer,
                              translation=self._translation, inference_nice=self._inference_nice,
                              missing_directions=self.missing_directions(allowed, spec.translation_languages), **extra)
        self._sessions[session_id] = session
        return session

    def get(self, session_id: str) -> LiveSession | None:
        return self._sessions.get(session_id)

    def missing_directions(self, spoken: list[str], targets: list[str] | None) -> list[str]:
        """Directions a session would need that no installed engine covers (``src-tgt``)."""
        if self._translation is None:
            return []
        routes = {(row.src, row.tgt): row.route for row in self._translation.coverage()}
        wanted = list(UN_LANGUAGES) if targets is None else targets
        return [f"{src}-{tgt}" for src in spoken if src in UN_LANGUAGES for tgt in wanted
                if tgt != src and routes.get((src, tgt), "none") == "none"]

    def revive(self, record: SessionRecord, progress: SessionProgress, *, seq: int) -> LiveSession:
        """A session that was live on an instance that stopped (or on another instance) becomes live here.

        ``seq`` continues above anything a viewer may have seen; each channel's segment numbers and
        timeline continue after what the store holds.
        """
        spec = SessionCreate(
            title=record.title, room=record.room, channels=[ChannelSpec.model_validate(c) for c in record.channels],
            allowed_languages=list(record.languages) or None, off_record=record.off_record, public=record.public,
            glossary=[GlossaryEntry.model_validate(g) for g in record.glossary],
            translation_languages=None if record.translation_languages is None else list(record.translation_languages))
        allowed = list(record.languages) or sorted(self._default_languages)
        session = self._add(record.id, spec, allowed, join_code=record.join_code)
        session.created_at = record.started_at.timestamp() if record.started_at else session.created_at
        session.restore(progress, seq)
        return session

    def forget(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def all(self) -> list[LiveSession]:
        return sorted(self._sessions.values(), key=lambda s: s.created_at, reverse=True)
