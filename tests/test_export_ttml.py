"""EBU-TT-D (TTML) transcript export: the WebVTT cues as EBU Tech 3380 TTML, read back with real XML readers.

The transcripts are the UN Parallel Corpus ones of ``test_exports`` (six languages, as spoken and
translated), plus small documents built here to attack the escaping and the ids. Every export is parsed
with :mod:`xml.etree.ElementTree`; where ttconv (an IMSC/TTML reader) is installed, it reads them back too.
The route test runs the real app in process, with the base model, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import re
import secrets
from fractions import Fraction
from xml.etree import ElementTree as ET

import pytest
import webvtt

from captions_store.exports import MEDIA_TYPES, export
from captions_store.exports.ttml import CONFORMS_TO, EBUTTM, TT, TTM, TTP, TTS, XML, ncname
from captions_store.records import SegmentIn, TranscriptDoc, TranscriptLine, TranslationIn
from store_support import backend, fresh_database  # noqa: F401  (backend: a fixture)
from test_exports import _session, all_docs, spoken_doc, translated_doc, un_sentences  # noqa: F401

NS = {"tt": TT, "tts": TTS, "ttp": TTP, "ttm": TTM, "ebuttm": EBUTTM}
XML_ID, XML_LANG, AGENT = f"{{{XML}}}id", f"{{{XML}}}lang", f"{{{TTM}}}agent"
NCNAME = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*")  # the ASCII part of the XML NCName production
TIME = re.compile(r"\d\d:[0-5]\d:[0-5]\d\.\d{3}")
HOSTILE = 'The delegate quoted <script>alert("x")</script> & wrote ]]> here, \u202ereversed\u202c, NUL\x00 and \uffff.'
HOSTILE_SPEAKER = "Ms. <b>Smith</b> & \u202eCo\x07"


def ttml(doc: TranscriptDoc) -> tuple[bytes, ET.Element]:
    body = export(doc, "ttml").body
    return body, ET.fromstring(body)


def paragraphs(root: ET.Element) -> list[ET.Element]:
    return root.findall("tt:body/tt:div/tt:p", NS)


def shown_text(p: ET.Element) -> str:
    """The cue's lines as a player shows them: the spans' text, a line break for each ``<br/>``."""
    return "".join("\n" if child.tag == f"{{{TT}}}br" else child.text or "" for child in p
                   if child.tag != f"{{{TT}}}metadata")


def seconds(stamp: str) -> Fraction:
    """``HH:MM:SS.mmm`` as exact seconds (ttconv's times are fractions)."""
    hours, minutes, rest = stamp.split(":")
    whole, ms = rest.split(".")
    return Fraction(((int(hours) * 60 + int(minutes)) * 60 + int(whole)) * 1000 + int(ms), 1000)


def agents(root: ET.Element) -> dict[str, str]:
    return {agent.get(XML_ID): agent.find("ttm:name", NS).text
            for agent in root.findall("tt:head/tt:metadata/ttm:agent", NS)}


def _line(segment_id: str, start_s: float, end_s: float, text: str, speaker: str | None = None, *,
          lang: str = "en", available: bool = True) -> TranscriptLine:
    return TranscriptLine(segment_id, "floor", start_s, end_s, lang, "en", text, speaker, lang != "en", available, 0)


# -- the document ------------------------------------------------------------------------------------
def test_root_head_and_body_are_what_ebu_tt_d_requires():
    doc = TranscriptDoc(_session(), "fr", (
        _line("plenary.floor.0", 1.0, 4.0, "Merci, Monsieur le Président.", "Mr. Ito (Japan)", lang="fr"),))
    body, root = ttml(doc)
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<tt xmlns="http://www.w3.org/ns/ttml"')
    for prefix, uri in (("tts", TTS), ("ttp", TTP), ("ttm", TTM), ("ebuttm", EBUTTM), ("ebutts", "urn:ebu:tt:style")):
        assert f'xmlns:{prefix}="{uri}"'.encode() in body, prefix
    assert root.tag == f"{{{TT}}}tt"
    assert root.get(f"{{{TTP}}}timeBase") == "media" and root.get(f"{{{TTP}}}cellResolution") == "50 30"
    assert root.get(XML_LANG) == "fr"
    assert [child.tag for child in root] == [f"{{{TT}}}head", f"{{{TT}}}body"]
    head = root.find("tt:head", NS)
    assert [child.tag for child in head] == [f"{{{TT}}}{name}" for name in ("metadata", "styling", "layout")]
    metadata = head.find("tt:metadata", NS)
    assert metadata.find("ttm:title", NS).text == "General Assembly, 69th session: plenary"
    assert metadata.find("ttm:desc", NS).text == "2025-03-04 10:00 UTC, Hall A; language: fr"
    assert metadata.find("ebuttm:documentMetadata/ebuttm:conformsToStandard", NS).text == CONFORMS_TO
    styles = {style.get(XML_ID): style for style in head.findall("tt:styling/tt:style", NS)}
    assert any(style.get(f"{{{TTS}}}fontFamily") for style in styles.values())
    assert any(style.get(f"{{{TTS}}}color") and style.get(f"{{{TTS}}}backgroundColor") for style in styles.values())
    (region,) = head.findall("tt:layout/tt:region", NS)
    for name in ("origin", "extent"):
        assert re.fullmatch(r"\d+% \d+%", region.get(f"{{{TTS}}}{name}")), name
    (p,) = paragraphs(root)
    assert p.get("region") == region.get(XML_ID)
    referenced = p.get("style").split() + [span.get("style") for span in p.findall("tt:span", NS)]
    assert referenced and set(referenced) <= set(styles)
    assert (p.get("begin"), p.get("end")) == ("00:00:01.000", "00:00:04.000")
    assert shown_text(p) == "Merci, Monsieur le Président."


@pytest.mark.eval
def test_one_paragraph_per_webvtt_cue_with_its_timing_lines_and_voice(un_sentences):
    for name, doc in all_docs(un_sentences):
        vtt = list(webvtt.from_string(export(doc, "vtt").body.decode(), strict=True))
        _, root = ttml(doc)
        ps, names = paragraphs(root), agents(root)
        assert len(ps) == len(vtt), name
        for p, cue in zip(ps, vtt):
            assert p.get(XML_ID) == f"c-{cue.identifier}", name
            assert (p.get("begin"), p.get("end")) == (cue.start, cue.end), cue.identifier
            assert TIME.fullmatch(p.get("begin")) and TIME.fullmatch(p.get("end"))
            assert shown_text(p) == html.unescape(cue.text), cue.identifier
            content = [child.tag.split("}")[1] for child in p if child.tag != f"{{{TT}}}metadata"]
            assert content == ["span", "br", "span"][:len(content)] and len(content) in (1, 3), content
            assert names.get(p.get(AGENT)) == cue.voice, cue.identifier
            assert not (p.text or "").strip() and not any((child.tail or "").strip() for child in p)
        assert sorted(names.values()) == sorted({line.speaker for line in doc.lines if line.speaker}), name


@pytest.mark.eval
def test_an_untranslated_line_says_so_in_its_language(un_sentences):
    _, root = ttml(translated_doc(un_sentences, "fr"))
    for p in paragraphs(root):
        untranslated = p.get(XML_ID).startswith("c-plenary.floor.4-")
        notes = [desc.text for desc in p.findall("tt:metadata/ttm:desc", NS)]
        assert notes == (["untranslated, en"] if untranslated else []), p.get(XML_ID)
        assert p.get(XML_LANG) == ("en" if untranslated else None), p.get(XML_ID)


@pytest.mark.eval
def test_arabic_paragraphs_run_right_to_left(un_sentences):
    _, root = ttml(translated_doc(un_sentences, "ar"))
    rtl = {style.get(XML_ID) for style in root.findall("tt:head/tt:styling/tt:style", NS)
           if style.get(f"{{{TTS}}}direction") == "rtl"}
    assert rtl
    for p in paragraphs(root):
        english = p.get(XML_LANG) == "en"  # segment 4, no translation yet
        assert bool(rtl & set(p.get("style").split())) != english, p.get(XML_ID)


# -- hostile text and ids ----------------------------------------------------------------------------
def test_markup_and_controls_in_text_names_and_title_are_escaped_or_dropped():
    session = dataclasses.replace(_session(), title="Plenary ]]> <i>&</i>\u202e", room="Room <7>")
    doc = TranscriptDoc(session, None, (_line("s.floor.0", 0.0, 6.0, HOSTILE, HOSTILE_SPEAKER),))
    body, root = ttml(doc)  # still parses
    text = body.decode("utf-8")
    assert "<script>" not in text and "&lt;script&gt;" in text and "]]&gt;" in text and "&amp; wrote" in text
    assert "<b>" not in text and "<i>" not in text
    for bad in ("\u202e", "\u202c", "\x00", "\x07", "\uffff"):
        assert bad not in text, repr(bad)
    shown = " ".join(shown_text(p).replace("\n", " ") for p in paragraphs(root))
    assert shown == 'The delegate quoted <script>alert("x")</script> & wrote ]]> here, reversed, NUL and .'
    assert list(agents(root).values()) == ["Ms. <b>Smith</b> & Co"]
    assert {p.get(AGENT) for p in paragraphs(root)} == set(agents(root))
    assert root.find("tt:head/tt:metadata/ttm:title", NS).text == "Plenary ]]> <i>&</i>"
    assert root.find("tt:head/tt:metadata/ttm:desc", NS).text.startswith("2025-03-04 10:00 UTC, Room <7>;")


def test_ids_are_unique_ncnames_whatever_the_segment_ids():
    ids = ["1.floor.0", "s 1.floor.0", "s_1.floor.0", "s<1>.floor.0", "séance.floor.0", "s1.floor.0-1"]
    doc = TranscriptDoc(_session(), None, tuple(
        _line(segment_id, 2.0 * i, 2.0 * i + 1.5, f"Line {i}.", f"Speaker {i % 2}") for i, segment_id in enumerate(ids)))
    _, root = ttml(doc)
    every = [element.get(XML_ID) for element in root.iter() if element.get(XML_ID) is not None]
    assert len(every) == len(set(every)) and all(NCNAME.fullmatch(name) for name in every), every
    p_ids = [p.get(XML_ID) for p in paragraphs(root)]
    assert len(p_ids) == len(ids) and all(name.startswith("c-") for name in p_ids)
    assert p_ids[0] == "c-1.floor.0-1"  # a digit first is fine after the prefix
    referenced = {p.get("region") for p in paragraphs(root)} | {p.get(AGENT) for p in paragraphs(root)}
    assert referenced <= set(every)


def test_ncname_replaces_what_a_name_cannot_hold_and_numbers_clashes():
    taken: set[str] = set()
    assert ncname("c-", "s1.floor.12-2", taken) == "c-s1.floor.12-2"
    assert ncname("c-", "a b", taken) == "c-a_b"
    assert ncname("c-", "a_b", taken) == "c-a_b_2"
    assert ncname("c-", "a<b", taken) == "c-a_b_3"
    assert ncname("c-", "\u202e\x00", taken) == "c-__"
    assert taken == {"c-s1.floor.12-2", "c-a_b", "c-a_b_2", "c-a_b_3", "c-__"}


def test_lines_in_another_language_than_the_document_carry_their_own():
    doc = TranscriptDoc(_session(), None, (_line("s.floor.0", 0.0, 3.0, "Thank you."),
                                           _line("s.floor.1", 3.5, 6.0, "Gracias.", lang="es"),
                                           _line("s.floor.2", 6.5, 9.0, "And now.")))
    _, root = ttml(doc)
    assert root.get(XML_LANG) == "en"  # as spoken: the language most of it was spoken in
    assert [p.get(XML_LANG) for p in paragraphs(root)] == [None, "es", None]


# -- read back by a TTML reader ----------------------------------------------------------------------
@pytest.mark.eval
def test_ttconv_reads_the_export_back_without_a_complaint(un_sentences, caplog):
    reader = pytest.importorskip("ttconv.imsc.reader")
    from ttconv import model

    for doc in (spoken_doc(un_sentences, "en"), translated_doc(un_sentences, "zh"), translated_doc(un_sentences, "ar")):
        vtt = list(webvtt.from_string(export(doc, "vtt").body.decode(), strict=True))
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            read = reader.to_model(ET.ElementTree(ET.fromstring(export(doc, "ttml").body)))
        assert read is not None and not caplog.records, [r.getMessage() for r in caplog.records]
        assert read.get_lang() == (doc.lang or "en")  # as spoken: the language it was spoken in
        assert (read.get_cell_resolution().columns, read.get_cell_resolution().rows) == (50, 30)
        assert [region.get_id() for region in read.iter_regions()] == ["r-bottom"]
        ps = [p for div in read.get_body() for p in div]
        assert len(ps) == len(vtt)
        for p, cue in zip(ps, vtt):
            assert (p.get_begin(), p.get_end()) == (seconds(cue.start), seconds(cue.end))
            text = "".join("\n" if isinstance(child, model.Br) else "".join(t.get_text() for t in child)
                           for child in p)
            assert text == html.unescape(cue.text)


# -- through the HTTP route --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def staff_app(backend, base_model, data_dir, tmp_path_factory):  # noqa: F811
    """The real app in process, on a fresh database, with a two-segment session written to its store."""
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    folder = tmp_path_factory.mktemp(f"ttml-{backend}")
    token = secrets.token_urlsafe(24)
    with fresh_database(backend, folder) as database:
        settings = Settings(data_dir=data_dir, model="base", admin_token=token, translation=False,
                            database_url=database.url or f"sqlite:///{folder / 'ttml.db'}")
        with TestClient(create_app(settings), headers={"Authorization": f"Bearer {token}"}) as client:
            store = client.app.state.store
            store.create_session(dataclasses.replace(_session(), id="ttml1", status="ended", segment_count=0,
                                                     languages=("en", "fr")))
            store.write_batch(
                [SegmentIn(id="ttml1.floor.1", session_id="ttml1", seq=1, channel="floor", start_s=0.5, end_s=3.0,
                           lang="en", text="The meeting is open & <b>quorate</b>.", speaker="Chair"),
                 SegmentIn(id="ttml1.floor.2", session_id="ttml1", seq=2, channel="floor", start_s=3.5, end_s=9.0,
                           lang="en", text="Member States adopted the resolution on the programme budget "
                                           "for the biennium without a vote.")],
                [TranslationIn(segment_id="ttml1.floor.2", lang="fr", engine="test", seq=3,
                               text="Les États membres ont adopté la résolution sans vote.")])
            yield client


@pytest.mark.model
def test_the_transcript_route_serves_ttml_and_still_refuses_unknown_formats(staff_app):
    path = "/v1/sessions/ttml1/transcript"
    response = staff_app.get(path, params={"format": "ttml", "lang": "fr"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPES["ttml"] == "application/ttml+xml"
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;") and disposition.endswith('-2025-03-04-fr.ttml"')
    root = ET.fromstring(response.content)
    vtt = list(webvtt.from_string(staff_app.get(path, params={"format": "vtt", "lang": "fr"}).text, strict=True))
    ps = paragraphs(root)
    assert [(p.get(XML_ID), p.get("begin"), p.get("end")) for p in ps] == \
           [(f"c-{c.identifier}", c.start, c.end) for c in vtt]
    assert shown_text(ps[0]) == "The meeting is open & <b>quorate</b>." and ps[0].get(XML_LANG) == "en"
    assert agents(root)[ps[0].get(AGENT)] == "Chair"
    assert "Les États membres" in shown_text(ps[-1])
    for unknown in ("pdf", "ttml2", ""):
        refused = staff_app.get(path, params={"format": unknown})
        assert refused.status_code == 422, (unknown, refused.text)
        assert "ttml" in str(refused.json()["detail"]), refused.text
