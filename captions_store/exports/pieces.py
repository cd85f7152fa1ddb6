"""A caption's text cut into the pieces a caption line may break between, each with its time.

Spaced languages break between words; languages written without spaces
(Chinese, Japanese, Thai...) break between characters, keeping a run of Latin
letters or digits (``COVID-19``, ``A/69/L.1``) whole. Punctuation never starts
or ends a line on its own: closing marks (``，`` ``。`` ``»`` French `` ?``)
stay with the piece before them, opening marks (``《`` ``«`` ``¿``) with the
piece after (so do ``<<`` and ``>>``, which UN documents write for
guillemets). A piece keeps the whitespace in front of it, so joining pieces
gives the text back.

Times come from the recogniser's word timings when the text has them: the
text is aligned with the words character by character (whitespace ignored), so
an edited segment keeps the timings of the words it still shares with what
was recognised. Text without word timings (a translation) shares the
segment's time in proportion to its characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Sequence

__all__ = ["UNSPACED_LANGUAGES", "TimedWord", "Piece", "base_language", "is_unspaced", "split_text",
           "timed_pieces"]

UNSPACED_LANGUAGES = frozenset({"zh", "yue", "ja", "th", "lo", "km", "my", "bo"})

_CLOSING = frozenset(".,;:!?%‰…‥。，、！？；：،؛؟۔」』）】〕〉》｣")
_OPENING = frozenset("¿¡")
_LATIN_RUN = re.compile(r"[0-9A-Za-z\u00C0-\u058F]+(?:[./\-'’%:,][0-9A-Za-z\u00C0-\u058F]+)*")
_MIN_ALIGNED = 0.5  # below this share of the text found in the words, time it as if it had none


@dataclass(frozen=True)
class TimedWord:
    text: str  # as recognised; surrounding whitespace does not matter
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Piece:
    text: str  # with the whitespace in front of it
    start_s: float
    end_s: float


def base_language(lang: str | None) -> str:
    """``zh-Hant`` -> ``zh``; ``None`` -> ``""``."""
    return re.split(r"[-_]", lang or "", maxsplit=1)[0].lower()


def is_unspaced(lang: str | None) -> bool:
    return base_language(lang) in UNSPACED_LANGUAGES


def _clusters(text: str) -> list[str]:
    """Characters with their combining marks, Latin/digit runs whole, whitespace in front of what follows."""
    tokens: list[str] = []
    space, i = "", 0
    while i < len(text):
        if text[i].isspace():
            space += text[i]
            i += 1
            continue
        run = _LATIN_RUN.match(text, i)
        end = run.end() if run else i + 1
        while end < len(text) and (unicodedata.category(text[end]).startswith("M") or text[end] in "\u200d\ufe0f"):
            end += 1
        tokens.append(space + text[i:end])
        space, i = "", end
    return tokens


def _role(token: str, quotes_seen: int) -> str:
    """``close`` (glue to the piece before), ``open`` (glue to the piece after) or ``word``."""
    body = token.strip()
    if body in ('"', "'"):  # straight quotes: odd ones open, even ones close
        return "open" if quotes_seen % 2 == 0 else "close"
    if body == ">>" or all(ch in _CLOSING or unicodedata.category(ch) in ("Pe", "Pf") for ch in body):
        return "close"
    if body == "<<" or all(ch in _OPENING or unicodedata.category(ch) in ("Ps", "Pi") for ch in body):
        return "open"
    return "word"


def _glue(tokens: list[str]) -> list[str]:
    pieces: list[str] = []
    pending_open, quotes = "", 0
    for token in tokens:
        role = _role(token, quotes)
        quotes += token.strip() in ('"', "'")
        if role == "close" and pieces and not pending_open:
            pieces[-1] += token
        elif role == "open":
            pending_open += token
        else:
            pieces.append(pending_open + token)
            pending_open = ""
    if pending_open:
        if pieces:
            pieces[-1] += pending_open
        else:
            pieces.append(pending_open)
    return pieces


def _chop(piece: str, max_chars: int) -> list[str]:
    """A piece longer than a caption line, in line-sized chunks (the first keeps the leading whitespace)."""
    body = piece.lstrip()
    if len(body) <= max_chars:
        return [piece]
    lead = piece[:len(piece) - len(body)]
    chunks = [body[i:i + max_chars] for i in range(0, len(body), max_chars)]
    return [lead + chunks[0], *chunks[1:]]


def split_text(text: str, lang: str | None, max_chars: int) -> list[str]:
    """The pieces of ``text``; joined, they give the text back with each run of whitespace as one space."""
    text = " ".join(text.split())
    tokens = _clusters(text) if is_unspaced(lang) else re.findall(r"\s*\S+", text)
    return [chunk for piece in _glue(tokens) for chunk in _chop(piece, max_chars)]


def _word_char_times(words: Sequence[TimedWord]) -> tuple[str, list[tuple[float, float]]]:
    chars, times = [], []
    for word in words:
        body = "".join(word.text.split())
        span = max(word.end_s - word.start_s, 0.0)
        for k, ch in enumerate(body):
            chars.append(ch)
            times.append((word.start_s + span * k / len(body), word.start_s + span * (k + 1) / len(body)))
    return "".join(chars), times


def _aligned_char_times(body: str, words: Sequence[TimedWord]) -> list[tuple[float, float]] | None:
    """A (start, end) per character of ``body`` (the text without whitespace), or None if the words do not fit."""
    word_chars, word_times = _word_char_times(words)
    if not body or not word_chars:
        return None
    found: list[tuple[float, float] | None] = [None] * len(body)
    matcher = SequenceMatcher(None, body, word_chars, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        found[a:a + size] = word_times[b:b + size]
    if sum(t is not None for t in found) < _MIN_ALIGNED * len(body):
        return None
    times: list[tuple[float, float]] = []
    i = 0
    while i < len(found):  # characters the words lack (an edit) share the gap between their neighbours
        current = found[i]
        if current is not None:
            times.append(current)
            i += 1
            continue
        j = i
        while j < len(found) and found[j] is None:
            j += 1
        left = times[-1][1] if times else word_times[0][0]
        after = found[j] if j < len(found) else None
        right = max(after[0] if after is not None else word_times[-1][1], left)
        step = (right - left) / (j - i)
        times.extend((left + step * k, left + step * (k + 1)) for k in range(j - i))
        i = j
    return times


def timed_pieces(text: str, *, lang: str | None, start_s: float, end_s: float,
                 words: Sequence[TimedWord] = (), max_chars: int = 42) -> list[Piece]:
    """The pieces of ``text`` with times within the words' span, or spread over ``start_s..end_s``."""
    pieces = split_text(text, lang, max_chars)
    sizes = [len("".join(p.split())) for p in pieces]
    char_times = _aligned_char_times("".join("".join(pieces).split()), words) if words else None
    out: list[Piece] = []
    if char_times is not None:
        at = 0
        for piece, size in zip(pieces, sizes):
            out.append(Piece(piece, char_times[at][0], char_times[at + size - 1][1]))
            at += size
        return out
    total = sum(len(p) for p in pieces) or 1
    span, at = max(end_s - start_s, 0.0), 0
    for piece in pieces:
        start = start_s + span * at / total
        at += len(piece)
        out.append(Piece(piece, start, start_s + span * at / total))
    return out

