"""Words as the search index sees them: one tokenizer for documents, queries and snippets.

A token is a run of letters, digits and combining marks, except that every
Chinese or Japanese character (Han, kana) is a token of its own: those
scripts put no spaces between words, so a two-character word is found as a
phrase of two one-character tokens. Tokens are normalised (NFKC, case folded,
accents dropped from Latin letters, Arabic short vowels and tatweel dropped)
so that "Développement", "developpement" and "DÉVELOPPEMENT" are one word.

``search_form`` joins the normalised tokens with spaces; both engines index
that text, so their tokenizers only ever split on spaces and agree with this
module. ``stem`` applies the Snowball stemmer of the row's language (the same
algorithms PostgreSQL's text-search configurations use).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

__all__ = ["Token", "tokens", "normalize_word", "search_form", "stem", "is_cjk", "STEMMED_LANGUAGES"]

_CJK_RANGES = ((0x3040, 0x30FF), (0x31F0, 0x31FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF),
               (0x20000, 0x3134F))
# Snowball stemmers for the languages PostgreSQL also has a configuration for (see search_postgres).
STEMMED_LANGUAGES = {"en": "english", "fr": "french", "es": "spanish", "ru": "russian", "ar": "arabic"}
_ARABIC_MARKS = dict.fromkeys([*range(0x064B, 0x0660), 0x0670, 0x0640])


def _class_of(ranges: list[tuple[int, int]]) -> str:
    return "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" if a != b else re.escape(chr(a)) for a, b in ranges)


def _mark_ranges() -> list[tuple[int, int]]:
    ranges: list[tuple[int, int]] = []
    for code in range(0x300, 0x20000):
        if unicodedata.category(chr(code)).startswith("M"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return ranges


_CJK = _class_of(list(_CJK_RANGES))
_WORD_CHAR = rf"(?:[^\W_{_CJK}]|[{_class_of(_mark_ranges())}])"
_TOKEN = re.compile(rf"[{_CJK}]|{_WORD_CHAR}+")
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_LATIN_MAX = 0x024F


@dataclass(frozen=True)
class Token:
    norm: str  # normalised form
    start: int  # span in the original text
    end: int


def is_cjk(text: str) -> bool:
    """Does ``text`` begin with a Chinese or Japanese character (a token of its own)?"""
    return _CJK_CHAR.match(text) is not None


@lru_cache(maxsize=1 << 18)
def normalize_word(word: str) -> tuple[str, ...]:
    """One raw token -> its normalised token(s) (NFKC can split ``½`` or ``㈱`` into several)."""
    text = unicodedata.normalize("NFKC", word).casefold()
    if not text.isascii():
        text = _drop_marks(text)
    if _TOKEN.fullmatch(text):
        return (text,)
    return tuple(m.group() for m in _TOKEN.finditer(text))


def _drop_marks(text: str) -> str:
    text = text.translate(_ARABIC_MARKS)
    decomposed = unicodedata.normalize("NFD", text)
    kept: list[str] = []
    base = 0
    for char in decomposed:
        code = ord(char)
        if 0x0300 <= code <= 0x036F and base <= _LATIN_MAX:
            continue  # an accent on a Latin letter
        if not unicodedata.combining(char):
            base = code
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


def tokens(text: str) -> list[Token]:
    """Normalised tokens of ``text`` with their spans in it."""
    out: list[Token] = []
    for match in _TOKEN.finditer(text):
        for norm in normalize_word(match.group()):
            out.append(Token(norm, match.start(), match.end()))
    return out


@lru_cache(maxsize=None)
def _stemmer(language: str):
    return snowballstemmer.stemmer(language)


@lru_cache(maxsize=1 << 18)
def stem(word: str, lang: str) -> str:
    """The Snowball stem of a normalised token in ``lang``; the token itself where there is no stemmer."""
    name = STEMMED_LANGUAGES.get(lang)
    if name is None or is_cjk(word):
        return word
    return _stemmer(name).stemWord(word)


def search_form(text: str, *, stem_lang: str | None = None) -> str:
    """Normalised tokens joined by spaces; stemmed when ``stem_lang`` has a stemmer."""
    words = (m.group() for m in _TOKEN.finditer(text))
    norms = [n for w in words for n in normalize_word(w)]
    if stem_lang in STEMMED_LANGUAGES:
        norms = [stem(n, stem_lang) for n in norms]
    return " ".join(norms)

