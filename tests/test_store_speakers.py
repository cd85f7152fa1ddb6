"""Speakers in the record (issue 12, item 5): ``speaker:`` in search, on SQLite and PostgreSQL, and the
name lines of the SRT export."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from captions_store.exports import export
from captions_store.query import parse_query
from captions_store.records import SegmentIn, SessionRecord, TranslationIn
from captions_store.store import QueryError, Store
from store_support import backend, module_database, store  # noqa: F401  (fixtures)

SESSION = "speakers-2026-12"
TURNS = [  # (speaker, text): the Chair opens, two delegations, the Chair again, an unnamed line
    ("The Chair", "The meeting is called to order and the agenda is adopted."),
    ("The Chair", "I give the floor to the delegate of Kenya."),
    ("Delegate of Kenya", "Thank you, Chair, Kenya supports the draft resolution on oceans."),
    ("Delegate of Kenya", "We ask that the budget for oceans be kept."),
    ("Delegate of Peru_100%", "Peru also supports the resolution."),
    ("The Chair", "The resolution on oceans is adopted."),
    (None, "Applause."),
]


@pytest.fixture(scope="module")
def record(store: Store) -> Store:
    store.create_session(SessionRecord(id=SESSION, title="Speakers", status="ended",
                                       started_at=datetime(2026, 12, 1, 10, tzinfo=timezone.utc)))
    segments = [SegmentIn(id=f"{SESSION}.floor.{n}", session_id=SESSION, seq=n, channel="floor", start_s=4.0 * n,
                          end_s=4.0 * n + 3.5, lang="en", text=text, speaker=speaker)
                for n, (speaker, text) in enumerate(TURNS, 1)]
    store.write_batch(segments, [TranslationIn(segment_id=segments[2].id, lang="es", engine="apertium",
                                               text="Gracias, Presidente, Kenia apoya el proyecto de resolución.")])
    return store


def _found(store: Store, q: str, lang: str | None = None) -> list[tuple[int, str]]:
    page = store.search(q, lang=lang, session_id=SESSION, limit=50)
    return sorted((int(hit.segment_id.rsplit(".", 1)[1]), hit.lang) for hit in page.hits)


@pytest.mark.parametrize("q, lang, expected", [
    ("speaker:Chair", None, [(1, "en"), (2, "en"), (6, "en")]),  # a speaker alone: their lines as spoken
    ('speaker:"the CHAIR"', None, [(1, "en"), (2, "en"), (6, "en")]),  # case and spaces do not matter
    ("speaker:kenya", None, [(3, "en"), (4, "en")]),  # a part of the label is enough
    ("oceans speaker:Kenya", None, [(3, "en"), (4, "en")]),  # words and a speaker
    ("resolution speaker:chair", None, [(6, "en")]),
    ("resolution", None, [(3, "en"), (5, "en"), (6, "en")]),  # without: everyone
    ("speaker:Kenya", "es", [(3, "es")]),  # a language: the translations of that speaker's lines
    ("resolución speaker:Kenya", "es", [(3, "es")]),
    ("speaker:Peru_100%", None, [(5, "en")]),  # LIKE's wildcards in a name match themselves only
    ("speaker:Peru%100", None, []),  # unescaped, % would match the "_" between them
    ("speaker:Peru_100_", None, []),  # unescaped, the last _ would match the "%"
    ("speaker:Secretariat", None, []),
    ("oceans speaker:Peru", None, []),
])
def test_speaker_search(record, q, lang, expected):
    assert _found(record, q, lang) == expected


@pytest.mark.parametrize("q", ["speaker:", 'speaker:""', "speaker:Chair speaker:Kenya", "speaker:" + "x" * 121])
def test_a_bad_speaker_filter_is_refused_with_a_reason(record, q):
    with pytest.raises(QueryError):
        record.search(q, session_id=SESSION)


def test_speaker_is_a_filter_only_at_the_start_of_a_word():
    assert parse_query("speaker:Chair").speaker == "chair" and parse_query("speaker:Chair").clauses == ()
    assert parse_query("loudspeaker:on").speaker is None  # a word that ends in "speaker:" is text
    assert parse_query('SPEAKER:"Delegate  of Kenya" budget').speaker == "delegate of kenya"


def test_srt_opens_each_named_turn_with_a_name_line(record):
    srt = export(record.transcript(SESSION, lang="en"), "srt").body.decode("utf-8-sig")
    cues = [block.split("\n") for block in srt.strip().split("\n\n")]
    assert [int(cue[0]) for cue in cues] == list(range(1, len(cues) + 1))
    assert all(" --> " in cue[1] for cue in cues)
    names = [(n, cue[2]) for n, cue in enumerate(cues) if cue[2].startswith(">> ")]
    assert [name for _, name in names] == [">> The Chair:", ">> Delegate of Kenya:", ">> Delegate of Peru_100%:",
                                           ">> The Chair:"]
    text = [" ".join(cue[2:]) for cue in cues]
    assert "I give the floor" in text[1] and not text[1].startswith(">>")  # the same speaker goes on: no name
    assert cues[-1][2] == "Applause."  # an unnamed line has no name line


def test_vtt_and_txt_name_every_line_of_a_speaker(record):
    doc = record.transcript(SESSION, lang="en")
    vtt = export(doc, "vtt").body.decode("utf-8-sig")
    assert vtt.count("<v The Chair>") == 3 and vtt.count("<v Delegate of Kenya>") == 2
    txt = export(doc, "txt").body.decode("utf-8-sig")
    assert "The Chair: The meeting is called to order" in txt and "] Applause." in txt
