"""The one event path: events built from the protocol models, stored and read back in the same form.

A final is made from a recogniser's caption, stored through the real store
(SQLite), read back for replay, and compared with what live viewers got; the
wire form of every event validates against the published protocol.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from captions_store.records import SessionRecord
from captions_store.store import Store
from models.recognizer.decoder import Word
from models.recognizer.events import FinalCaption, PartialCaption
from models.translation.translator import TranslationResult
from service import wire_events
from service.delivered import Delivered
from service.protocol import CloseCode, FinalEvent, PartialEvent, caption_event_adapter
from service.session_errors import (ChannelBusy, SessionElsewhere, SessionEnded, SessionError, UnknownChannel,
                                    UnknownSession, UnsupportedLanguages, close_code, http_status)

SPOKEN = FinalCaption(3, "fr", "Bonjour à tous.", 1.0, 2.5,
                      words=(Word("Bonjour", 1.0, 1.6, 0.9), Word("à", 1.6, 1.8, 0.8), Word("tous.", 1.8, 2.5, 0.95)))


def _final(seq: int = 7, speaker: str | None = "Chair") -> FinalEvent:
    return wire_events.recognized(SPOKEN, seq=seq, session_id="S1", channel="floor", number=3 + 10, offset_s=60.0,
                                  speaker=speaker)


def test_a_recognised_final_sits_on_the_session_timeline_and_validates_as_the_protocol_says():
    event = wire_events.wire(_final())
    assert event["segment_id"] == "S1.floor.13" and (event["start"], event["end"]) == (61.0, 62.5)
    assert event["words"][0] == {"word": "Bonjour", "start": 61.0, "end": 61.6, "probability": 0.9}
    assert "source_lang" not in event and "engine" not in event  # an original names no source language
    assert event["speaker"] == "Chair"
    assert isinstance(caption_event_adapter.validate_python(event), FinalEvent)
    partial = wire_events.wire(wire_events.recognized(PartialCaption(3, "fr", "Bonjour", 7, 1.0, 1.6), seq=6,
                                                      session_id="S1", channel="floor", number=13, offset_s=60.0,
                                                      speaker=None))
    assert partial["type"] == "partial" and partial["stable"] == 7 and "words" not in partial
    assert isinstance(caption_event_adapter.validate_python(partial), PartialEvent)


def test_a_translation_keeps_segment_and_times_and_names_what_was_spoken():
    result = TranslationResult("Hello everyone.", "apertium", "3.8", True, "pivot", via="es")
    event = wire_events.wire(wire_events.translated(_final(), seq=8, lang="en", result=result))
    assert (event["segment_id"], event["start"], event["end"]) == ("S1.floor.13", 61.0, 62.5)
    assert (event["lang"], event["source_lang"], event["translated"], event["engine"]) == ("en", "fr", True, "apertium")
    assert event["words"] == [] and event["speaker"] == "Chair"
    partial_source = wire_events.recognized(PartialCaption(3, "fr", "Bonjour", 7, 1.0, 1.6), seq=6, session_id="S1",
                                            channel="floor", number=13, offset_s=60.0, speaker=None)
    partial = wire_events.wire(wire_events.translated(partial_source, seq=9, lang="en", result=result))
    assert partial["stable"] == 0 and "engine" not in partial


def test_what_the_store_keeps_reads_back_as_the_final_viewers_got(tmp_path: Path):
    store = Store.open(None, tmp_path)
    try:
        store.create_session(SessionRecord(id="S1", title="Plenary", languages=("fr",)))
        final = _final()
        result = TranslationResult("Hola a todos.", "apertium", "3.8", True, "direct")
        spanish = wire_events.translated(final, seq=8, lang="es", result=result)
        store.write_batch([wire_events.segment_in(final)], [wire_events.translation_in(spanish, result)])
        replayed = [wire_events.wire(wire_events.stored(c)) for c in store.captions_after("S1", 0)]
    finally:
        store.close()
    assert replayed == [wire_events.wire(final), wire_events.wire(spanish)]


def test_corrections_are_folded_into_the_recent_finals_delivered():
    delivered = Delivered()
    final = wire_events.wire(_final())
    spanish = wire_events.wire(wire_events.translated(
        _final(), seq=8, lang="es", result=TranslationResult("Hola.", "apertium", "3.8", True, "direct")))
    for event in (final, spanish, wire_events.wire(wire_events.correction(
            seq=9, session_id="S1", segment_id="S1.floor.13", lang="fr", text="Bonjour à toutes.", speaker="Chair",
            revision=1))):
        delivered.add(event)
    lines = {(e["lang"], e["text"]) for e in delivered.finals()}
    assert lines == {("fr", "Bonjour à toutes."), ("es", "Hola.")}  # the Spanish line is not the one corrected
    assert delivered.last_seq == 9 and delivered.speech_end_s == 62.5  # a translation does not move speech_s


@pytest.mark.parametrize(("error", "code", "status"), [
    (UnknownSession("S9"), CloseCode.NOT_FOUND, 404), (UnknownChannel("booth-xx"), CloseCode.NOT_FOUND, 422),
    (SessionEnded(), CloseCode.CONFLICT, 409), (ChannelBusy("floor"), CloseCode.CONFLICT, 409),
    (SessionElsewhere("elsewhere"), CloseCode.TRY_AGAIN_LATER, 409),
    (UnsupportedLanguages("no zh"), CloseCode.BAD_REQUEST, 422), (SessionError("other"), CloseCode.BAD_REQUEST, 422),
])
def test_one_table_answers_every_session_error(error, code, status):
    assert (close_code(error), http_status(error)) == (code, status)
