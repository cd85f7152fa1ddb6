"""Transcript exports (issue 3): every format parsed back with a real reader.

Transcripts are built from the first sentences of the UN Parallel Corpus dev
set in the six official languages: as spoken (with word timings spread over
each segment, the way the recogniser stores them) and as translations of the
English segments (no word timings, as the translator stores them).
"""

from __future__ import annotations

import dataclasses
import html
import io
import itertools
import json
import math
import re
from datetime import datetime, timezone
from urllib.parse import quote
from xml.etree import ElementTree

import docx
import pytest
import srt
import webvtt
from docx.oxml.ns import qn

import captions_store.exports as exports
from captions_store.exports import FORMATS, UnknownFormat, export
from captions_store.records import SessionRecord, TranscriptDoc, TranscriptLine
from captions_store.text_rules import plain_caption
from service.transcribe import Segment, Transcript, TranscribedWord, render

LANGUAGES = ("en", "fr", "es", "ru", "ar", "zh")
SENTENCES = 24
SPEAKERS = ("Mr. Ito (Japan)", "Ms. Dupont (France)", "Mr. Al-Hassan (Egypt)")
STARTED_AT = datetime(2025, 3, 4, 10, 0, tzinfo=timezone.utc)
ESCAPE_LINE = 'The delegate quoted <script>alert("x")</script> & asked that "A & B" be struck out.'
UNSPACED = ("zh",)


def max_chars(lang: str) -> int:
    return 16 if lang == "zh" else 42


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def un_sentences(eval_dir) -> dict[str, list[str]]:
    folder = eval_dir / "mt" / "un_v1.0"
    paths = {lang: folder / f"UNv1.0.devset.{lang}" for lang in LANGUAGES}
    missing = [str(p) for p in paths.values() if not p.is_file()]
    if missing:
        pytest.skip(f"UN Parallel Corpus dev set not found: {', '.join(missing)}")
    out = {}
    for lang, path in paths.items():
        with path.open(encoding="utf-8") as handle:
            out[lang] = [line.strip() for line in itertools.islice(handle, SENTENCES)]
    return out


def _session() -> SessionRecord:
    return SessionRecord(id="plenary-2025-03-04", title="General Assembly, 69th session: plenary", room="Hall A",
                         status="ended", started_at=STARTED_AT, ended_at=datetime(2025, 3, 4, 11, 30,
                                                                                   tzinfo=timezone.utc),
                         languages=LANGUAGES, channels=({"name": "floor", "language": None},),
                         glossary=({"term": "Charter", "renderings": {"fr": "Charte"}},), segment_count=SENTENCES)


def _tokens(text: str, lang: str) -> list[str]:
    """Word texts as Whisper spells them: leading space in spaced languages, a few characters in Chinese."""
    if lang in UNSPACED:
        return [text[i:i + 2] for i in range(0, len(text), 2)]
    return [" " + word for word in text.split()]


def _timeline(texts: list[str]) -> list[tuple[float, float]]:
    """Segment times: about 14 characters a second, a 1.5 s pause between segments."""
    out, at = [], 3.0
    for text in texts:
        span = max(1.0, len(text) / 14)
        out.append((round(at, 3), round(at + span, 3)))
        at += span + 1.5
    return out


def _words(text: str, lang: str, start_s: float, end_s: float) -> tuple[dict, ...]:
    """Word timings spread across the segment, the first word starting 0.2 s in, short gaps between words."""
    tokens = _tokens(text, lang)
    step = (end_s - start_s - 0.2) / len(tokens)
    return tuple({"word": tok, "start": round(start_s + 0.2 + i * step, 3),
                  "end": round(start_s + 0.2 + (i + 0.8) * step, 3), "probability": 0.93}
                 for i, tok in enumerate(tokens))


def _speaker(i: int) -> str | None:
    return None if i % 7 == 6 else SPEAKERS[(i // 3) % len(SPEAKERS)]  # turns of three lines, a few unattributed


def spoken_doc(un_sentences, lang: str) -> TranscriptDoc:
    texts = list(un_sentences[lang]) + ([ESCAPE_LINE] if lang == "en" else [])
    lines = tuple(TranscriptLine(segment_id=f"plenary.floor.{i}", channel="floor", start_s=start, end_s=end,
                                 lang=lang, source_lang=lang, text=text, speaker=_speaker(i), translated=False,
                                 available=True, revision=0, words=_words(text, lang, start, end))
                  for i, (text, (start, end)) in enumerate(zip(texts, _timeline(texts))))
    return TranscriptDoc(session=_session(), lang=None, lines=lines)


def translated_doc(un_sentences, lang: str) -> TranscriptDoc:
    """English segments translated into ``lang``; the translation of segment 4 is not there yet."""
    english = un_sentences["en"]
    lines = []
    for i, (start, end) in enumerate(_timeline(english)):
        available = i != 4
        lines.append(TranscriptLine(
            segment_id=f"plenary.floor.{i}", channel="floor", start_s=start, end_s=end,
            lang=lang if available else "en", source_lang="en",
            text=un_sentences[lang][i] if available else english[i], speaker=_speaker(i),
            translated=available, available=available, revision=0))
    return TranscriptDoc(session=_session(), lang=lang, lines=tuple(lines))


def all_docs(un_sentences):
    for lang in LANGUAGES:
        yield f"spoken-{lang}", spoken_doc(un_sentences, lang)
        if lang != "en":
            yield f"translated-{lang}", translated_doc(un_sentences, lang)


def assign_cues(doc: TranscriptDoc, cues: list[tuple[float, float, str]]) -> list[list[tuple[float, float, str]]]:
    """The cues of each line, found by consuming the lines' text in order; fails if a cue spans two segments."""
    groups, at = [], 0
    for line in doc.lines:
        wanted, got, group = squash(line.text), "", []
        while got != wanted:
            assert at < len(cues), f"cues ran out inside {line.segment_id}: {got!r} of {wanted!r}"
            got += squash(cues[at][2])
            group.append(cues[at])
            at += 1
            assert wanted.startswith(got), f"cue text {got!r} is not the start of {line.segment_id}: {wanted!r}"
        groups.append(group)
    assert at == len(cues), "cues left over after the last segment"
    return groups


def check_cue_rules(doc: TranscriptDoc, cues: list[tuple[float, float, str]]) -> None:
    starts = [start for start, _, _ in cues]
    assert starts == sorted(starts), "cues out of time order"
    for line, group in zip(doc.lines, assign_cues(doc, cues)):
        limit = max_chars(line.lang)
        assert len(group) >= math.ceil(len(squash(line.text)) / (2 * limit))
        previous_end = line.start_s
        for start, end, text in group:
            rows = text.split("\n")
            assert 1 <= len(rows) <= 2, rows
            assert all(0 < len(row) <= limit for row in rows), (limit, rows)
            assert all(row == row.strip() for row in rows)
            assert not any(re.match(r"[,.;:!?，。、；：！？》」،؛»]", row) for row in rows), f"line opens on punctuation: {rows}"
            assert line.start_s - 1e-3 <= start < end <= line.end_s + 1e-3, (line.segment_id, start, end)
            assert start >= previous_end - 1e-3, "cues of a segment overlap"
            assert end - start <= 7.0 + 1e-3
            previous_end = end
        if len(group) > 1:  # no orphan: a segment's last cue is at least half a line
            assert len(" ".join(group[-1][2].split("\n"))) >= limit // 2, group[-1]


def _plain_doc(doc: TranscriptDoc) -> TranscriptDoc:
    return dataclasses.replace(doc, lines=tuple(dataclasses.replace(line, text=plain_caption(line.text))
                                                for line in doc.lines))


def srt_cues(body: bytes) -> list[tuple[float, float, str]]:
    return [(c.start.total_seconds(), c.end.total_seconds(), c.content) for c in srt.parse(body.decode("utf-8"))]


def vtt_cues(body: bytes) -> list[tuple[float, float, str]]:
    parsed = webvtt.from_string(body.decode("utf-8"), strict=True)
    return [(c.start_time.in_milliseconds() / 1000, c.end_time.in_milliseconds() / 1000, html.unescape(c.text))
            for c in parsed]


# -- SRT / WebVTT ---------------------------------------------------------------------------------
@pytest.mark.eval
def test_srt_cues_follow_the_line_rules_and_give_the_text_back(un_sentences):
    for name, doc in all_docs(un_sentences):
        out = export(doc, "srt")
        assert out.media_type.startswith("application/x-subrip") and out.filename.endswith(".srt"), name
        cues = srt_cues(out.body)
        assert [c.index for c in srt.parse(out.body.decode())] == list(range(1, len(cues) + 1))
        # a named speaker's turn opens with a name line, ">> Name:" (issue 12), above the cue's own rows
        named = [(n, text.split("\n", 1)) for n, (_, _, text) in enumerate(cues) if text.startswith(">> ")]
        assert all(len(parts) == 2 and parts[0].endswith(":") for _, parts in named), name
        cues = [(start, end, text.split("\n", 1)[1] if text.startswith(">> ") else text)
                for start, end, text in cues]
        # SRT players render tags, so markup is written plain: the text comes back without it (issue 15)
        plain = _plain_doc(doc)
        check_cue_rules(plain, cues)
        first_cues = [group[0] for group in assign_cues(plain, cues)]
        turns = [f">> {plain_caption(line.speaker)}:" for n, line in enumerate(doc.lines)
                 if line.speaker and (n == 0 or doc.lines[n - 1].speaker != line.speaker)]
        assert [parts[0] for _, parts in named] == turns, name
        assert {cues[n] for n, _ in named} <= set(first_cues), "a name line opens a segment's first cue only"


@pytest.mark.eval
def test_vtt_cues_follow_the_line_rules_and_carry_ids_and_voices(un_sentences):
    for name, doc in all_docs(un_sentences):
        out = export(doc, "vtt")
        assert out.media_type == "text/vtt; charset=utf-8", name
        assert out.body.startswith(b"WEBVTT\n")
        cues = vtt_cues(out.body)
        check_cue_rules(doc, cues)
        assert len(cues) == len(srt_cues(export(doc, "srt").body))
        parsed = list(webvtt.from_string(out.body.decode(), strict=True))
        by_line = {line.segment_id: line for line in doc.lines}
        numbers: dict[str, int] = {}
        for caption in parsed:
            segment_id, number = caption.identifier.rsplit("-", 1)
            numbers[segment_id] = numbers.get(segment_id, 0) + 1
            assert int(number) == numbers[segment_id], caption.identifier
            assert caption.voice == by_line[segment_id].speaker, caption.identifier


@pytest.mark.eval
def test_vtt_header_note_names_the_session_and_untranslated_lines(un_sentences):
    body = export(translated_doc(un_sentences, "fr"), "vtt").body.decode()
    parsed = webvtt.from_string(body, strict=True)
    header = "\n".join(parsed.header_comments)
    assert "General Assembly, 69th session: plenary" in header and "2025-03-04 10:00 UTC" in header
    assert "language: fr" in header
    untranslated = [c for c in parsed if c.identifier.startswith("plenary.floor.4-")]
    assert untranslated and any("untranslated, en" in note for note in untranslated[0].comments)
    assert not any(c.comments for c in parsed if not c.identifier.startswith("plenary.floor.4-"))


@pytest.mark.eval
def test_vtt_escapes_markup_in_cue_text(un_sentences):
    body = export(spoken_doc(un_sentences, "en"), "vtt").body.decode()
    assert "<script>" not in body and "&lt;script&gt;" in body and "&amp; asked" in body
    parsed = webvtt.from_string(body, strict=True)
    last = [c for c in parsed if c.identifier.startswith(f"plenary.floor.{SENTENCES}-")]
    assert squash(html.unescape("".join(c.text for c in last))) == squash(ESCAPE_LINE)


@pytest.mark.eval
def test_spoken_cues_are_timed_by_their_words(un_sentences):
    doc = spoken_doc(un_sentences, "en")
    cues = assign_cues(doc, vtt_cues(export(doc, "vtt").body))
    for line, group in zip(doc.lines, cues):
        assert group[0][0] == pytest.approx(line.words[0]["start"], abs=1e-3)
        assert group[-1][1] == pytest.approx(line.words[-1]["end"], abs=1e-3)
        word_starts = {round(w["start"], 3) for w in line.words}
        assert all(round(start, 3) in word_starts for start, _, _ in group), "a cue starts between words"


@pytest.mark.eval
def test_translated_cues_share_the_segment_time_by_length(un_sentences):
    doc = translated_doc(un_sentences, "zh")
    for line, group in zip(doc.lines, assign_cues(doc, vtt_cues(export(doc, "vtt").body))):
        assert group[0][0] == pytest.approx(line.start_s, abs=1e-3)
        assert group[-1][1] == pytest.approx(line.end_s, abs=1e-3)
        if len(group) > 1:  # the longer of two cues lasts longer
            durations = [end - start for start, end, _ in group]
            lengths = [len(squash(text)) for _, _, text in group]
            assert (durations[0] > durations[1]) == (lengths[0] > lengths[1]) or lengths[0] == lengths[1]


@pytest.mark.eval
def test_an_edited_segment_keeps_its_word_timings(un_sentences):
    doc = spoken_doc(un_sentences, "en")
    line = doc.lines[2]
    edited = line.text.replace("United Nations", "UN", 1)
    assert edited != line.text
    doc = TranscriptDoc(doc.session, None, (dataclasses.replace(line, text=edited, revision=1),))
    cues = vtt_cues(export(doc, "vtt").body)
    check_cue_rules(doc, cues)
    assert cues[0][0] == pytest.approx(line.words[0]["start"], abs=1e-3)
    assert cues[-1][1] == pytest.approx(line.words[-1]["end"], abs=1e-3)


@pytest.mark.parametrize("text", ["Thank you, Mr. President, for convening this important debate today.",
                                  "The Committee took note of the report, and decided to defer the item."])
def test_a_two_line_cue_breaks_after_a_clause_end_near_the_middle(text):
    (with_clause,) = exports.segment_cues(text, lang="en", start_s=0.0, end_s=5.0)
    (without,) = exports.segment_cues(text.replace(",", ""), lang="en", start_s=0.0, end_s=5.0)
    assert len(with_clause.lines) == len(without.lines) == 2
    assert with_clause.lines[0].endswith(",")
    assert len(without.lines[0].split()) != len(with_clause.lines[0].split())  # not where it breaks anyway


def test_a_translation_is_timed_by_length_even_if_source_words_came_along():
    words = ({"word": " Merci.", "start": 2.0, "end": 2.6},)  # as if the source's timings were carried over
    line = TranscriptLine("s.floor.0", "floor", 1.0, 4.0, "fr", "en", "Merci.", None, True, True, 0, words)
    cues = srt_cues(export(TranscriptDoc(_session(), "fr", (line,)), "srt").body)
    assert [(start, end) for start, end, _ in cues] == [(1.0, 4.0)]


def test_channels_overlapping_in_time_keep_their_own_cues():
    session = _session()
    floor = TranscriptLine("s.floor.0", "floor", 0.0, 6.0, "en", "en", "Thank you, Mr. President.", None,
                           False, True, 0)
    booth = TranscriptLine("s.booth-fr.0", "booth-fr", 0.5, 6.5, "fr", "fr", "Merci, Monsieur le Président.",
                           None, False, True, 0)
    out = export(TranscriptDoc(session, None, (floor, booth)), "srt").body
    cues = srt_cues(out)
    assert [(c[0], c[1]) for c in cues] == [(0.0, 6.0), (0.5, 6.5)]


# -- TXT / JSON ---------------------------------------------------------------------------------------
@pytest.mark.eval
def test_txt_is_a_readable_transcript(un_sentences):
    doc = translated_doc(un_sentences, "ar")
    out = export(doc, "txt")
    assert out.media_type == "text/plain; charset=utf-8" and out.filename == "general-assembly-69th-session-plenary-2025-03-04-ar.txt"
    text = out.body.decode("utf-8")
    header, body = text.split("\n\n", 1)
    assert header.splitlines() == ["General Assembly, 69th session: plenary", "Date: 2025-03-04 10:00 UTC",
                                   "Room: Hall A", "Language: ar"]
    rows = body.splitlines()
    assert len(rows) == len(doc.lines)
    for row, line in zip(rows, doc.lines):
        match = re.fullmatch(r"\[(\d\d):(\d\d):(\d\d)\] (?:(.+?): )?(\(untranslated, en\) )?(.+)", row)
        assert match, row
        hours, minutes, seconds = map(int, match.group(1, 2, 3))
        assert hours * 3600 + minutes * 60 + seconds == int(line.start_s)
        assert match.group(4) == line.speaker
        assert bool(match.group(5)) == (not line.available)
        assert match.group(6) == line.text


@pytest.mark.eval
def test_json_keeps_every_field(un_sentences):
    doc = spoken_doc(un_sentences, "zh")
    out = export(doc, "json")
    assert out.media_type == "application/json" and out.filename == "general-assembly-69th-session-plenary-2025-03-04-original.json"
    data = json.loads(out.body)
    assert (data["format"], data["version"], data["lang"]) == ("floorcast.transcript", 1, None)
    session = data["session"]
    assert datetime.fromisoformat(session["started_at"]) == STARTED_AT
    assert datetime.fromisoformat(session["ended_at"]) == doc.session.ended_at
    assert session["languages"] == list(LANGUAGES) and session["glossary"][0]["renderings"] == {"fr": "Charte"}
    assert (session["id"], session["title"], session["room"]) == (doc.session.id, doc.session.title, "Hall A")
    assert len(data["lines"]) == len(doc.lines)
    for got, line in zip(data["lines"], doc.lines):
        for name in ("segment_id", "channel", "start_s", "end_s", "lang", "source_lang", "text", "speaker",
                     "translated", "available", "revision"):
            assert got[name] == getattr(line, name), name
        assert [(w["word"], w["start_s"], w["end_s"], w["probability"]) for w in got["words"]] == \
               [(w["word"], w["start"], w["end"], w["probability"]) for w in line.words]
    assert set(exports.json_export.json_schema()["properties"]) == set(data)


# -- DOCX -------------------------------------------------------------------------------------------------
def _turns(doc: TranscriptDoc) -> list[str]:
    return [speaker for speaker, _ in itertools.groupby(line.speaker for line in doc.lines) if speaker]


@pytest.mark.eval
def test_docx_has_title_date_speaker_turns_and_timestamps(un_sentences):
    doc = translated_doc(un_sentences, "fr")
    out = export(doc, "docx")
    assert out.filename == "general-assembly-69th-session-plenary-2025-03-04-fr.docx" and out.media_type.endswith("wordprocessingml.document")
    word = docx.Document(io.BytesIO(out.body))
    paragraphs = word.paragraphs
    assert paragraphs[0].style.name == "Title" and paragraphs[0].text == doc.session.title
    texts = [p.text for p in paragraphs]
    assert "Date: 2025-03-04 10:00 UTC" in texts and "Room: Hall A" in texts and "Language: fr" in texts
    assert word.core_properties.title == doc.session.title and word.core_properties.language == "fr"
    headings = [p.text for p in paragraphs if p.style.name == "Heading 2"]
    assert headings == _turns(doc)
    body = "\n".join(texts)
    for line in doc.lines:
        start = int(line.start_s)
        stamp = f"[{start // 3600:02d}:{start // 60 % 60:02d}:{start % 60:02d}]"
        assert f"{stamp} {' '.join(line.text.split())}" in body
    assert body.count("(untranslated, en)") == 1
    assert not word.element.body.findall(f".//{qn('w:bidi')}")


@pytest.mark.eval
def test_docx_groups_a_speakers_consecutive_lines_into_one_paragraph(un_sentences):
    doc = spoken_doc(un_sentences, "es")
    paragraphs = docx.Document(io.BytesIO(export(doc, "docx").body)).paragraphs
    turns = [(speaker, len(list(group))) for speaker, group in itertools.groupby(doc.lines, lambda ln: ln.speaker)
             if speaker]
    got = [(p.text, paragraphs[i + 1].text.count("[00:")) for i, p in enumerate(paragraphs)
           if p.style.name == "Heading 2"]
    assert got == turns
    unattributed = [line for line in doc.lines if line.speaker is None]
    assert unattributed
    for line in unattributed:  # a paragraph of its own, no heading over it
        (i,) = [i for i, p in enumerate(paragraphs) if line.text in p.text]
        assert paragraphs[i].text.count("[00:") == 1 and paragraphs[i - 1].style.name != "Heading 2"


@pytest.mark.eval
def test_docx_in_arabic_is_right_to_left(un_sentences):
    doc = translated_doc(un_sentences, "ar")
    word = docx.Document(io.BytesIO(export(doc, "docx").body))
    assert word.core_properties.language == "ar"
    defaults = word.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert defaults.get(qn("w:bidi")) == "ar"

    def holding(text: str):
        (paragraph,) = [p for p in word.paragraphs if text in p.text]
        return paragraph

    assert word.paragraphs[0]._p.pPr.find(qn("w:bidi")) is not None  # the title runs right to left too
    for paragraph in [holding(line.text) for line in doc.lines if line.lang == "ar"]:
        assert paragraph._p.pPr.find(qn("w:bidi")) is not None, paragraph.text
        assert all(run._r.rPr.find(qn("w:rtl")) is not None for run in paragraph.runs if run.text.strip())
    english = holding(doc.lines[4].text)  # no translation yet: shown as spoken, left to right
    assert english._p.pPr is None or english._p.pPr.find(qn("w:bidi")) is None
    assert "(untranslated, en)" in english.text


# -- the entry point ----------------------------------------------------------------------------------------
def test_unknown_format_names_the_formats():
    doc = TranscriptDoc(_session(), None, ())
    with pytest.raises(UnknownFormat) as caught:
        export(doc, "pdf")
    assert isinstance(caught.value, ValueError)
    assert "'pdf'" in str(caught.value) and "json, txt, srt, vtt, ttml, docx" in str(caught.value)
    assert FORMATS == ("json", "txt", "srt", "vtt", "ttml", "docx")
    assert export(doc, "VTT").filename == "general-assembly-69th-session-plenary-2025-03-04-original.vtt"


@pytest.mark.parametrize("title, name, ascii_name", [
    ("جلسة عامة", "جلسة-عامة-2025-03-04-ar.txt", "plenary-2025-03-04-2025-03-04-ar.txt"),
    ("Conseil de sécurité — 9 000e séance", "conseil-de-sécurité-9-000e-séance-2025-03-04-ar.txt",
     "conseil-de-securite-9-000e-seance-2025-03-04-ar.txt"),
    ("安全理事会", "安全理事会-2025-03-04-ar.txt", "plenary-2025-03-04-2025-03-04-ar.txt"),
    ("***", "plenary-2025-03-04-2025-03-04-ar.txt", "plenary-2025-03-04-2025-03-04-ar.txt"),
])
def test_file_names_come_from_the_title_and_date_in_any_script(title, name, ascii_name):
    doc = TranscriptDoc(dataclasses.replace(_session(), title=title), "ar", ())
    out = export(doc, "txt")
    assert (out.filename, out.ascii_filename) == (name, ascii_name)
    header = out.content_disposition()
    header.encode("latin-1")  # an HTTP header: Starlette refuses anything else
    assert f'filename="{ascii_name}"' in header and f"filename*=UTF-8''{quote(name)}" in header


def test_every_format_writes_an_empty_transcript():
    doc = TranscriptDoc(_session(), "fr", ())
    for fmt in FORMATS:
        out = export(doc, fmt)
        assert out.filename == f"general-assembly-69th-session-plenary-2025-03-04-fr.{fmt}"
        assert bool(out.body) == (fmt != "srt")  # an SRT file with no cues is empty
    assert webvtt.from_string(export(doc, "vtt").body.decode(), strict=True).captions == []
    assert list(srt.parse(export(doc, "srt").body.decode())) == []
    assert json.loads(export(doc, "json").body)["lines"] == []
    ttml = ElementTree.fromstring(export(doc, "ttml").body)  # a head and no body: an empty <div> is not allowed
    assert [child.tag.split("}")[1] for child in ttml] == ["head"]
    assert docx.Document(io.BytesIO(export(doc, "docx").body)).paragraphs[0].text == doc.session.title


def test_modules_declare_their_exports():
    import importlib

    for name in ("lines", "pieces", "cues", "meta", "timecode", "srt", "vtt", "ttml", "txt", "json_export", "docx"):
        module = importlib.import_module(f"captions_store.exports.{name}")
        assert module.__all__ and all(hasattr(module, item) for item in module.__all__), name
    assert all(hasattr(exports, item) for item in exports.__all__)


@pytest.mark.eval
def test_transcribe_render_uses_the_chinese_line_length(un_sentences):
    text = un_sentences["zh"][1]
    words = tuple(TranscribedWord(tok, 1.0 + 0.3 * i, 1.25 + 0.3 * i, 0.9) for i, tok in enumerate(_tokens(text, "zh")))
    transcript = Transcript("zh", 40.0, [Segment(words[0].start, words[-1].end, text, words)])
    for cue in srt.parse(render(transcript, "srt")):
        assert all(len(row) <= 16 for row in cue.content.split("\n"))
    assert squash("".join(c.content for c in srt.parse(render(transcript, "srt")))) == squash(text)
    assert webvtt.from_string(render(transcript, "vtt"), strict=True).captions
