"""A live session in memory: its channels, the session clock and ``seq``, and the events it releases.

A :class:`LiveSession` turns a recogniser's captions into wire events
(:mod:`service.wire_events`): each gets the session-wide ``seq`` (one per
event, on the event loop, so strictly increasing), the channel, a
session-unique ``segment_id`` and the channel's offset on the session
timeline. Finals are stored before viewers see them (the outbox holds them
until the writer commits); translations of floor finals are asked of live
translation with plain data and come back to :meth:`LiveSession.emit_translations`.
What has been delivered (recent finals, the last seq) is the broker's
(:mod:`service.delivered`); the recogniser and its thread are made by
:mod:`models.recognizer.factory`.
"""

from __future__ import annotations

import asyncio
import time
from typing import Callable

from captions_store.records import SessionProgress, SessionRecord
from captions_store.tokens_store import new_join_code
from models.recognizer.events import FinalCaption, RecognizedCaption
from models.recognizer.factory import recognizer_for, start_worker
from models.translation.translator import TranslationResult
from service import wire_events
from service.channel_state import ChannelState
from service.language_watch import LanguageWatch, english_only_warning
from service.live_translation import TranslationRequest
from service.outbox import Outbox
from service.protocol import FinalEvent, PartialEvent, SessionCreate, SessionPublic
from service.session_conversions import glossary_map, record_from_spec, translation_languages, translation_targets
from service.session_errors import ChannelBusy, SessionEnded, UnknownChannel
from service.session_services import SessionServices

__all__ = ["LiveSession"]


class LiveSession:
    def __init__(self, session_id: str, spec: SessionCreate, allowed: list[str], services: SessionServices, *,
                 missing_directions: list[str] = (), join_code: str = "") -> None:
        self.id = session_id
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
        self.missing_directions = list(missing_directions)
        self.join_code = join_code or new_join_code()  # viewers of a private session may present it
        self.translation_languages = translation_languages(spec.translation_languages)
        self.translation_glossary = glossary_map(spec.glossary)
        self.channels = {c.name: ChannelState(c, language=LanguageWatch(tuple(allowed))) for c in spec.channels}
        self.listeners: list[Callable[[dict], None]] = []  # also told of each released event (caption outputs)
        self._services = services
        self._outbox = Outbox(self._publish)
        self._seq = 0
        self._clock_start: float | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def last_seq(self) -> int:
        """The seq of the newest event made (released to viewers or still waiting in the outbox)."""
        return self._seq

    def public(self) -> SessionPublic:
        decoder = self._services.decoder
        return SessionPublic(id=self.id, title=self.spec.title, room=self.spec.room, status=self.status,
                             created_at=self.created_at, ended_at=self.ended_at, off_record=self.off_record,
                             allowed_languages=self.allowed_languages, glossary=self.spec.glossary,
                             channels=[c.public() for c in self.channels.values()], last_seq=self._seq,
                             model=decoder.name, translation_languages=self.translation_languages,
                             missing_directions=self.missing_directions, public=self.spec.public,
                             join_code=self.join_code,
                             model_warning=english_only_warning(decoder.name, decoder.multilingual))

    def record(self) -> SessionRecord:
        """What the store keeps about this session."""
        return record_from_spec(self.id, self.spec, allowed=self.allowed_languages, status=self.status,
                                created_at=self.created_at, off_record=self.off_record, join_code=self.join_code)

    # -- ingest life cycle (event loop) --------------------------------------------
    def open_channel(self, name: str, on_failure: Callable[[BaseException], None]) -> ChannelState:
        if self.status != "live":
            raise SessionEnded()
        channel = self.channels.get(name)
        if channel is None:
            raise UnknownChannel(name, list(self.channels))
        if channel.worker is not None:
            raise ChannelBusy(name)
        self._loop = loop = asyncio.get_running_loop()
        now = self.audio_at = time.monotonic()
        if self._clock_start is None:
            self._clock_start = now
        channel.offset_s = round(max(channel.end_s, now - self._clock_start), 3)
        channel.timeline_wall = time.time() - channel.offset_s
        services = self._services
        recognizer = recognizer_for(services.decoder, services.recognizer_config, services.policy,
                                    allowed_languages=tuple(self.allowed_languages),
                                    fixed_language=channel.spec.language,
                                    prompt=", ".join(self._glossary_terms(channel.spec.language)))
        base = channel.segment_base
        channel.worker = start_worker(
            recognizer, on_events=lambda captions: loop.call_soon_threadsafe(self._emit, channel, base, captions),
            on_error=lambda exc: loop.call_soon_threadsafe(on_failure, exc), max_queued_s=services.max_queued_s,
            name=f"{self.id}-{name}", nice=services.inference_nice)
        return channel

    def restore(self, progress: SessionProgress, seq: int) -> None:
        self._seq = seq
        for name, channel in self.channels.items():
            done = progress.channels.get(name)
            if done is not None:
                channel.segment_base, channel.end_s = done.segments, done.end_s

    async def published(self, timeout_s: float = 30.0) -> None:
        """Wait until every event emitted so far has reached the viewers (finals after their commit),
        translations of its finals included."""
        translation = self._services.translation
        if translation is not None:
            await asyncio.to_thread(translation.wait_idle, timeout_s)
            await asyncio.sleep(0)  # results hop to the loop with call_soon_threadsafe
        await asyncio.wait_for(self._outbox.drained(), timeout_s)

    def close_channel(self, channel: ChannelState) -> None:
        """Called once the worker has flushed; folds its statistics into the channel's totals."""
        channel.fold_worker()

    def end(self, reason: str = "ended") -> None:
        """No more audio; viewers get ``session_ended`` (why: see :mod:`service.session_lifecycle`)."""
        if self.status == "ended":
            return
        self.status, self.ended_at = "ended", time.time()
        self._put(wire_events.session_ended(seq=self._next_seq(), session_id=self.id, reason=reason))

    # -- changes made by staff and the captioner (event loop) -------------------------------
    def set_off_record(self, on: bool) -> None:
        """Off the record: captions keep flowing to viewers, nothing is stored while it is on."""
        if on == self.off_record:
            return
        self.off_record = on
        self._put(wire_events.record(seq=self._next_seq(), session_id=self.id, off_record=on))

    def set_speaker(self, channel_name: str, label: str | None) -> None:
        channel = self.channels.get(channel_name)
        if channel is None:
            raise UnknownChannel(channel_name)
        channel.speaker = label or None

    def publish_correction(self, segment_id: str, text: str, speaker: str | None, revision: int, lang: str,
                           source_lang: str | None = None) -> None:
        """An edited final, so live viewers replace the line they already show (``source_lang``: a translation)."""
        self._put(wire_events.correction(seq=self._next_seq(), session_id=self.id, segment_id=segment_id, lang=lang,
                                         text=text, speaker=speaker, revision=revision, source_lang=source_lang))

    def _glossary_terms(self, language: str | None) -> list[str]:
        return [entry.renderings.get(language, entry.term) if language else entry.term for entry in self.spec.glossary]

    # -- events (event loop) ---------------------------------------------------------
    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _put(self, event, *, pending: bool = False):
        return self._outbox.put(wire_events.wire(event), pending=pending)

    def _storing(self) -> bool:
        return not self.off_record and self._services.writer is not None

    def _emit(self, channel: ChannelState, base: int, captions: list[RecognizedCaption]) -> None:
        translate = self._services.translation is not None and channel.spec.language is None  # booths: never
        for caption in captions:
            event = wire_events.recognized(caption, seq=self._next_seq(), session_id=self.id,
                                           channel=channel.spec.name, number=base + caption.segment_no,
                                           offset_s=channel.offset_s, speaker=channel.speaker)
            if isinstance(caption, FinalCaption):
                channel.language.observe(caption)
            if isinstance(event, PartialEvent):
                self._put(event)
                if translate and self.spec.translate_partials:
                    self._services.translation.partial(self._request(event))
                continue
            if self._storing():  # viewers get it once it is committed
                entry = self._put(event, pending=True)
                self._services.writer.submit([wire_events.segment_in(event)], done=self._releaser([entry]))
            else:
                self._put(event)
            if translate:
                self._services.translation.final(self._request(event, audio=getattr(caption, "audio", None)))

    def _request(self, source: PartialEvent | FinalEvent, audio=None) -> TranslationRequest:
        return TranslationRequest(source, translation_targets(self.translation_languages, source.lang),
                                  self.emit_translations, glossary=self.translation_glossary, audio=audio)

    def emit_translations(self, source: PartialEvent | FinalEvent, results: dict[str, TranslationResult]) -> None:
        """One event per target language for a translated final or partial; finals stored before shown."""
        stored, pending = [], []
        for lang, result in results.items():
            event = wire_events.translated(source, seq=self._next_seq(), lang=lang, result=result)
            keep = isinstance(event, FinalEvent) and result.translated and self._storing()
            entry = self._put(event, pending=keep)
            if keep:
                stored.append(wire_events.translation_in(event, result))
                pending.append(entry)
        if stored:
            self._services.writer.submit([], stored, done=self._releaser(pending))

    def _releaser(self, entries: list):
        loop = self._loop or asyncio.get_running_loop()

        def release(stored: bool) -> None:
            for entry in entries:
                loop.call_soon_threadsafe(self._outbox.release, entry)
        return release

    def _publish(self, event: dict) -> None:
        """The outbox releases events here in ``seq`` order; finals only once committed."""
        event["published_at"] = round(time.time(), 4)  # wall clock: lets clients measure delivery delay
        self._services.bus.publish(self.id, event)
        for listener in self.listeners:
            listener(event)
