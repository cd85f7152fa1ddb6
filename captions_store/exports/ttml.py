"""EBU-TT-D (EBU Tech 3380), the TTML profile broadcasters' and DASH/HbbTV players read: the WebVTT cues as TTML.

Each cue of :func:`~captions_store.exports.cues.transcript_cues` (the one cue
layout every caption format shares) is one ``<p>`` with the same
``begin``/``end`` as its WebVTT cue (``HH:MM:SS.mmm``, ``ttp:timeBase="media"``
on the session timeline), a ``<span>`` per cue line and ``<br/>`` between
them, in the one bottom region with the one paragraph and text style.

``xml:id`` is required on every ``<p>`` and must be an XML NCName unique in
the document: the WebVTT cue id (``s1.floor.12-2``) with ``c-`` before it, so
that it never starts with a digit, and anything but ASCII letters, digits,
``.``, ``-`` and ``_`` written ``_`` (:func:`ncname`); styles, the region and
speakers have ids of their own prefixes (``s-``, ``r-``, ``a-``).

Speakers are ``ttm:agent`` elements (``ttm:name``) in the head's metadata,
referenced from each ``<p>`` by its ``ttm:agent`` attribute. EBU-TT-D permits
both: ``ttm:agent`` is among the attributes its schema allows on ``tt:p``, and
EBU-TT Part M (Tech 3390) places ``ttm:agent`` elements in the head metadata
after ``ebuttm:documentMetadata``. A leading ``<span>Name: </span>`` was the
other choice and is not taken: it would make the name caption text, which
WebVTT's ``<v Name>`` is not either, and it would lengthen the first line past
what the cue formatter measured (42 characters, 16 in Chinese).

The head's metadata says what the WebVTT header NOTE says: ``ttm:title`` is
the session title, ``ttm:desc`` its date, room and language, and
``ebuttm:documentMetadata`` holds ``ebuttm:conformsToStandard``
(``urn:ebu:tt:distribution:2014-01``). A cue of a line shown untranslated
carries ``<metadata><ttm:desc>untranslated, en</ttm:desc></metadata>`` (every
cue of the line, since a player may show any one of them alone) and the
``xml:lang`` of the text it shows; so does any cue whose language is not the
document's. Metadata rather than the XML comment WebVTT's NOTE would become:
XML readers, ``xml.etree`` among them, drop comments by default.

The document is built with :mod:`xml.etree.ElementTree`, which escapes ``&``,
``<`` and ``>`` in text and attributes, so no caption text can pass for
markup (``]]>`` included). Control characters and bidi overrides are dropped
(:func:`~captions_store.text_rules.without_controls`), and so are the few
characters XML 1.0 cannot carry at all (U+FFFE, U+FFFF, lone surrogates).
Lines in a right-to-left language get the ``s-rtl`` style too
(``tts:direction="rtl"``), so their punctuation lands on the right side.

A transcript with no cue has no ``<body>`` (the schema allows none; an empty
``<div>`` it does not).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from captions_store.exports.cues import TranscriptCue, transcript_cues
from captions_store.exports.meta import is_rtl, language_label, main_language, session_date, untranslated_note
from captions_store.exports.timecode import timestamp
from captions_store.records import TranscriptDoc
from captions_store.text_rules import without_controls

__all__ = ["TT", "TTS", "TTP", "TTM", "EBUTTM", "EBUTTS", "XML", "CONFORMS_TO", "REGION", "ncname", "export_ttml"]

TT = "http://www.w3.org/ns/ttml"
TTS = "http://www.w3.org/ns/ttml#styling"
TTP = "http://www.w3.org/ns/ttml#parameter"
TTM = "http://www.w3.org/ns/ttml#metadata"
EBUTTM = "urn:ebu:tt:metadata"
EBUTTS = "urn:ebu:tt:style"
XML = "http://www.w3.org/XML/1998/namespace"
CONFORMS_TO = "urn:ebu:tt:distribution:2014-01"
CELL_RESOLUTION = "50 30"  # 50 columns, 30 rows: a cell is 1/30 of the picture's height

REGION = "r-bottom"
PARAGRAPH_STYLE, RTL_STYLE, TEXT_STYLE = "s-paragraph", "s-rtl", "s-text"
# the bottom 30% of the picture inside a 10% safe margin: two cues of two lines each (floor and booth at
# once) fit at 1.5 cells a line
_REGION_ATTRS = {"origin": "10% 60%", "extent": "80% 30%", "displayAlign": "after"}
_PARAGRAPH_ATTRS = {"fontFamily": "Verdana, Arial, Tiresias, proportionalSansSerif", "fontSize": "150%",
                    "lineHeight": "125%", "textAlign": "center"}
_TEXT_ATTRS = {"color": "#FFFFFF", "backgroundColor": "#000000"}

# The prefixes EBU-TT-D documents are written with, TTML's own namespace the default one. ElementTree's
# ``default_namespace=`` option refuses unqualified attributes, and TTML's begin, end, region and style are.
for _prefix, _uri in (("", TT), ("tts", TTS), ("ttp", TTP), ("ttm", TTM), ("ebuttm", EBUTTM), ("ebutts", EBUTTS)):
    ET.register_namespace(_prefix, _uri)

_NOT_NAME_CHAR = re.compile(r"[^A-Za-z0-9._-]")
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def ncname(prefix: str, raw: str, taken: set[str]) -> str:
    """``prefix`` + ``raw`` as an NCName no other id in ``taken`` has (which it joins).

    ``prefix`` must start with a letter; characters of ``raw`` other than ASCII letters, digits, ``.``,
    ``-`` and ``_`` become ``_``, and a clash gets ``_2``, ``_3``...
    """
    base = prefix + _NOT_NAME_CHAR.sub("_", raw)
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _one_line(text: str) -> str:
    """``text`` on one line, as XML can carry it: no control or bidi-override characters, none XML 1.0 forbids."""
    return " ".join(_NOT_XML_CHAR.sub("", without_controls(text)).split())


def _sub(parent: ET.Element, namespace: str, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, _q(namespace, name), attrs)
    element.text = text
    return element


def _styled(attrs: dict[str, str], namespace: str = TTS) -> dict[str, str]:
    return {_q(namespace, key): value for key, value in attrs.items()}


def _head(root: ET.Element, doc: TranscriptDoc, agents: dict[str, str]) -> None:
    session = doc.session
    head = _sub(root, TT, "head")
    metadata = _sub(head, TT, "metadata")
    _sub(metadata, TTM, "title", _one_line(session.title) or session.id)
    room = f", {_one_line(session.room)}" if session.room.strip() else ""
    _sub(metadata, TTM, "desc", f"{session_date(doc)}{room}; language: {language_label(doc)}")
    document = _sub(metadata, EBUTTM, "documentMetadata")
    _sub(document, EBUTTM, "conformsToStandard", CONFORMS_TO)
    for name, agent_id in agents.items():
        agent = ET.SubElement(metadata, _q(TTM, "agent"), {"type": "person", _q(XML, "id"): agent_id})
        _sub(agent, TTM, "name", name, type="full")

    styling = _sub(head, TT, "styling")
    ET.SubElement(styling, _q(TT, "style"), {
        _q(XML, "id"): PARAGRAPH_STYLE, **_styled(_PARAGRAPH_ATTRS),
        **_styled({"multiRowAlign": "center", "linePadding": "0.5c"}, EBUTTS)})
    ET.SubElement(styling, _q(TT, "style"), {_q(XML, "id"): RTL_STYLE, _q(TTS, "direction"): "rtl"})
    ET.SubElement(styling, _q(TT, "style"), {_q(XML, "id"): TEXT_STYLE, **_styled(_TEXT_ATTRS)})

    layout = _sub(head, TT, "layout")
    ET.SubElement(layout, _q(TT, "region"), {_q(XML, "id"): REGION, **_styled(_REGION_ATTRS)})


def _speakers(items: list[TranscriptCue], taken: set[str]) -> dict[str, str]:
    """Each speaker's name (as written) and agent id, in order of first appearance."""
    agents: dict[str, str] = {}
    for item in items:
        name = _one_line(item.line.speaker or "")
        if name and name not in agents:
            agents[name] = ncname("a-", str(len(agents) + 1), taken)
    return agents


def _paragraph(div: ET.Element, item: TranscriptCue, *, doc_lang: str, agents: dict[str, str],
               taken: set[str]) -> None:
    line, cue = item.line, item.cue
    attrs = {_q(XML, "id"): ncname("c-", item.cue_id, taken), "begin": timestamp(cue.start_s, "."),
             "end": timestamp(cue.end_s, "."), "region": REGION,
             "style": f"{PARAGRAPH_STYLE} {RTL_STYLE}" if is_rtl(line.lang) else PARAGRAPH_STYLE}
    if line.lang and line.lang != doc_lang:
        attrs[_q(XML, "lang")] = line.lang
    speaker = _one_line(line.speaker or "")
    if speaker:
        attrs[_q(TTM, "agent")] = agents[speaker]
    p = ET.SubElement(div, _q(TT, "p"), attrs)
    if not line.available:
        _sub(_sub(p, TT, "metadata"), TTM, "desc", untranslated_note(line))
    for n, text in enumerate(cue.lines):
        if n:
            _sub(p, TT, "br")
        _sub(p, TT, "span", _one_line(text), style=TEXT_STYLE)


def _indented(root: ET.Element) -> None:
    """Indent the structure, not a paragraph's content: whitespace between its spans would be caption text."""
    ET.indent(root, space="  ")
    for p in root.iter(_q(TT, "p")):
        for element in p.iter():
            if len(element):  # the paragraph and its metadata: their own text is only the indentation
                element.text = None
            if element is not p:
                element.tail = None


def export_ttml(doc: TranscriptDoc) -> str:
    items = transcript_cues(doc)
    doc_lang = main_language(doc) or ""
    taken = {PARAGRAPH_STYLE, RTL_STYLE, TEXT_STYLE, REGION}
    agents = _speakers(items, taken)
    root = ET.Element(_q(TT, "tt"), {_q(TTP, "timeBase"): "media", _q(TTP, "cellResolution"): CELL_RESOLUTION,
                                     _q(XML, "lang"): doc_lang})
    _head(root, doc, agents)
    if items:
        div = _sub(_sub(root, TT, "body"), TT, "div")
        for item in items:
            _paragraph(div, item, doc_lang=doc_lang, agents=agents, taken=taken)
    _indented(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
