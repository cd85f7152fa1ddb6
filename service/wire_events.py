"""The one place that builds what viewers receive: events made from the models in :mod:`service.protocol`.

Live emission (:mod:`service.sessions`), replay from the store
(:mod:`service.replay`), the clock, the pong and the ended notice on the
captions websocket all build their events here, and the store's
:class:`~captions_store.records.SegmentIn` and ``TranslationIn`` are derived
from the same :class:`~service.protocol.FinalEvent` that viewers get. Events
travel as plain dicts (the bus, Redis and every viewer's queue carry JSON);
:func:`wire` turns a model into that dict with exactly the fields that were
given, so an original final carries no ``source_lang`` and a translation does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from captions_store.records import CaptionRecord, SegmentIn, TranslationIn
from models.recognizer.events import FinalCaption, PartialCaption, RecognizedCaption
from service.protocol import (ClockEvent, CorrectionEvent, FinalEvent, PartialEvent, PongEvent, RecordEvent,
                              SessionEndedEvent, WordTiming)

if TYPE_CHECKING:  # pragma: no cover
    from models.translation.translator import TranslationResult

__all__ = ["wire", "recognized", "translated", "correction", "record", "session_ended", "clock", "pong",
           "stored", "segment_in", "translation_in", "segment_id"]


def wire(event: BaseModel) -> dict:
    """The dict sent to viewers: ``type`` and every field the event was built with (``None`` where given)."""
    return event.model_dump(include={"type", *event.model_fields_set})


def segment_id(session_id: str, channel: str, number: int) -> str:
    return f"{session_id}.{channel}.{number}"


def recognized(caption: RecognizedCaption, *, seq: int, session_id: str, channel: str, number: int,
               offset_s: float, speaker: str | None) -> PartialEvent | FinalEvent:
    """A recogniser's caption placed on the session: its seq, its segment id, session time (channel offset)."""
    common = dict(seq=seq, session_id=session_id, channel=channel, segment_id=segment_id(session_id, channel, number),
                  lang=caption.language, text=caption.text, start=round(offset_s + caption.start_s, 3),
                  end=round(offset_s + caption.end_s, 3))
    if isinstance(caption, PartialCaption):
        return PartialEvent(**common, stable=caption.stable)
    assert isinstance(caption, FinalCaption)
    words = [WordTiming(word=w.text, start=round(offset_s + w.start_s, 3), end=round(offset_s + w.end_s, 3),
                        probability=w.probability) for w in caption.words]
    return FinalEvent(**common, words=words, speaker=speaker)


def translated(source: PartialEvent | FinalEvent, *, seq: int, lang: str,
               result: "TranslationResult") -> PartialEvent | FinalEvent:
    """One target language of a partial or final: same segment and times, ``source_lang`` what was spoken."""
    common = dict(seq=seq, session_id=source.session_id, channel=source.channel, segment_id=source.segment_id,
                  lang=lang, text=result.text, start=source.start, end=source.end, source_lang=source.lang,
                  translated=result.translated)
    if isinstance(source, PartialEvent):
        return PartialEvent(**common, stable=0)
    return FinalEvent(**common, words=[], speaker=source.speaker, engine=result.engine)


def correction(*, seq: int, session_id: str, segment_id: str, lang: str, text: str, speaker: str | None,
               revision: int, source_lang: str | None = None) -> CorrectionEvent:
    named = {"source_lang": source_lang} if source_lang is not None else {}  # only translations name one
    return CorrectionEvent(seq=seq, session_id=session_id, segment_id=segment_id, lang=lang, text=text,
                           speaker=speaker, revision=revision, **named)


def record(*, seq: int, session_id: str, off_record: bool) -> RecordEvent:
    return RecordEvent(seq=seq, session_id=session_id, off_record=off_record)


def session_ended(*, seq: int, session_id: str, reason: str | None = None,
                  ended_at: float | None = None) -> SessionEndedEvent:
    """Live: with the ``reason``; replayed to a viewer of an ended session: with ``ended_at`` instead."""
    if reason is not None:
        return SessionEndedEvent(seq=seq, session_id=session_id, reason=reason)
    return SessionEndedEvent(seq=seq, session_id=session_id, ended_at=ended_at)


def clock(*, session_id: str, audio_s: float, decoded_s: float, speech_s: float | None,
          streaming: bool) -> ClockEvent:
    return ClockEvent(session_id=session_id, audio_s=round(audio_s, 3), decoded_s=round(decoded_s, 3),
                      speech_s=speech_s, streaming=streaming)


def pong(seq: int) -> PongEvent:
    return PongEvent(seq=seq)


def stored(caption: CaptionRecord) -> FinalEvent:
    """A final read back from the store for replay: the segment as it reads now, or one of its translations."""
    segment = caption.segment
    common = dict(seq=caption.seq, session_id=segment.session_id, channel=segment.channel, segment_id=segment.id,
                  start=segment.start_s, end=segment.end_s, speaker=segment.speaker)
    if caption.lang is None:
        return FinalEvent(**common, lang=segment.lang, text=segment.text,
                          words=[WordTiming.model_validate(w) for w in segment.words])
    translation = segment.translations[caption.lang]
    return FinalEvent(**common, lang=caption.lang, text=translation.text, words=[], source_lang=segment.lang,
                      translated=True, engine=translation.engine)


def segment_in(final: FinalEvent) -> SegmentIn:
    """What the store keeps of a final as spoken."""
    return SegmentIn(id=final.segment_id, session_id=final.session_id, seq=final.seq, channel=final.channel,
                     start_s=final.start, end_s=final.end, lang=final.lang, text=final.text,
                     words=tuple(w.model_dump() for w in final.words), speaker=final.speaker)


def translation_in(final: FinalEvent, result: "TranslationResult") -> TranslationIn:
    """What the store keeps of a translated final (its source revision: the text as first recognised)."""
    return TranslationIn(segment_id=final.segment_id, lang=final.lang, text=final.text, engine=result.engine or "",
                         model_version=result.model_version or "", source_revision=0, seq=final.seq)
