"""Which characters a caption, title or name may hold, and how text is made safe for plain caption files.

Text typed by people (corrections, titles, rooms, speaker names, glossary
terms) is *refused* at the boundary when it holds a character nobody types on
purpose: a C0/C1 control character other than newline and tab (NUL among
them, which PostgreSQL cannot store in text), or a bidirectional override or
isolate (U+202A–U+202E, U+2066–U+2069), which can make a line read differently
from what it holds ("Trojan Source"). The marks an Arabic line legitimately
uses (U+200E LEFT-TO-RIGHT MARK, U+200F RIGHT-TO-LEFT MARK, U+061C ARABIC
LETTER MARK) are allowed.

Text written into SRT and plain-text exports goes through :func:`plain_caption`,
which also covers what was stored before these rules: players render SRT's
``<font>``/``<i>`` tags and ``{\\an8}`` overrides, and a ``-->`` inside a cue
line is read as a timing line by some parsers.
"""

from __future__ import annotations

import re

__all__ = ["refusal", "without_controls", "plain_caption", "BIDI_CONTROLS"]

BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_BIDI = re.compile("[" + "".join(sorted(BIDI_CONTROLS)) + "]")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>|\{\\[^{}]*\}")


def refusal(text: str, *, multiline: bool = False) -> str | None:
    """Why ``text`` is refused (a sentence for the 422 body), or None when it may be stored."""
    control = (_CONTROL if multiline else _CONTROL_ONE_LINE).search(text)
    if control:
        allowed = "other than newline and tab " if multiline else ""
        return f"control character U+{ord(control.group()):04X} at position {control.start()}: " \
               f"control characters {allowed}are not allowed"
    bidi = _BIDI.search(text)
    if bidi:
        return f"bidirectional control U+{ord(bidi.group()):04X} at position {bidi.start()} is not allowed " \
               "(use U+200E/U+200F marks in mixed-direction text)"
    return None


def without_controls(text: str) -> str:
    """``text`` with tabs as spaces and no other control characters or bidi controls (newlines kept)."""
    return _BIDI.sub("", _CONTROL.sub("", text.replace("\t", " ")))


def plain_caption(text: str) -> str:
    """``text`` with no control characters, bidi controls, markup tags or ``-->`` (for SRT and TXT lines)."""
    text = _TAG.sub("", without_controls(text))
    while "-->" in text:
        text = text.replace("-->", "→")
    return text
