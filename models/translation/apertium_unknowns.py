"""Words a pivot's legs do not know: kept as the source wrote them, never passed on in the pivot language.

An Apertium pivot (e.g. en -> es -> fr) runs both legs with unknown-word marks on. Apertium marks a word it
cannot analyse with ``*`` (copied verbatim), one it analysed but could not generate with ``#`` and one the
transfer lost with ``@``. Measured with apertium-eng-spa and apertium-fr-es:

* leg one's unknowns (``*indigenous``, ``*UNICEF``) would reach leg two as English, be marked again
  (``**indigenous``) and break French elision and agreement. :func:`protect_unknowns` swaps each for a
  glossary placeholder (:func:`models.translation.glossary.placeholder`, which Apertium passes untouched as
  an unknown word) and :func:`finish` puts the original word back where the placeholder came out;
* leg two's unknowns are pivot words the second dictionary lacks (``*acídicas``, ``*socavar``, fused
  multiwords such as ``*Estadosdearma``). Each distinct one is translated back to the source language
  (one batch) and aligned with a word of the source sentence (closest spelling, ratio >= 0.75, comparing
  the back-translation and the pivot word itself); when one aligns, the source word replaces the pivot
  word, otherwise the pivot word stays, unmarked;
* ``#`` and ``@`` marks are dropped (the word after them is already in the target language).

With ``mark=True`` each unknown word (restored or kept) carries one ``*``; otherwise no mark is left.
Pure string work; :class:`models.translation.apertium.ApertiumEngine` runs the processes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Mapping

from models.translation.glossary import placeholder, placeholder_indices, placeholder_pattern

__all__ = ["ProtectedPivot", "protect_unknowns", "unknown_words", "align", "finish"]

_MARKED = re.compile(r"(?<![\w*#@])([*#@]+)(\w+)")
_TAG_LEFT = re.compile(r"(?:(?<=\s)|^)[#@]?(?:<[a-z0-9_]+>)+(?=[\s,.;:!?]|$)\s?")  # a word left as its tags: "#<prn>"
_IS_PLACEHOLDER = re.compile(r"ZXQ\d*(?:QXZ)?", re.IGNORECASE)  # whole, or a piece of a mangled one
_SOURCE_WORD = re.compile(r"[^\W\d_][\w'’-]*[^\W_]|[^\W\d_]")
MIN_RATIO = 0.75


@dataclass(frozen=True)
class ProtectedPivot:
    """Leg one's output with its unknown words swapped for placeholders (placeholder -> original word)."""

    text: str
    originals: dict[str, str] = field(default_factory=dict)


def protect_unknowns(pivot_text: str) -> ProtectedPivot:
    """Swap each ``*word`` of leg one's marked output for a placeholder; drop ``#``/``@`` marks."""
    used = placeholder_indices(pivot_text)
    start = max(used) + 1 if used else 0
    originals: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        marks, word = match.groups()
        if "*" not in marks or _IS_PLACEHOLDER.fullmatch(word):  # a glossary placeholder is protected already
            return word
        token = placeholder(start + len(originals))
        originals[token] = word
        return token

    return ProtectedPivot(_MARKED.sub(swap, _TAG_LEFT.sub("", pivot_text)), originals)


def unknown_words(translated: str) -> list[str]:
    """Leg two's own unknown words (``*palabra``), placeholders aside, in order of appearance."""
    found = (word for marks, word in _MARKED.findall(translated) if "*" in marks)
    return list(dict.fromkeys(w for w in found if not _IS_PLACEHOLDER.fullmatch(w)))


def align(pivot_word: str, back_translation: str | None, source: str) -> str | None:
    """The word of ``source`` that ``pivot_word`` stands for, or None when none is close enough."""
    candidates = [pivot_word]
    if back_translation and "*" not in back_translation:
        candidates += _SOURCE_WORD.findall(back_translation)
    best, best_ratio = None, MIN_RATIO
    source_words = _SOURCE_WORD.findall(source)
    for word in dict.fromkeys(source_words):
        for candidate in candidates:
            ratio = SequenceMatcher(None, candidate.casefold(), word.casefold()).ratio()
            if ratio > best_ratio or (ratio == best_ratio and best is None):
                best, best_ratio = word, ratio
    if best is None:
        return None
    if pivot_word[:1].isupper() and not best[:1].isupper():
        return best[:1].upper() + best[1:]
    if pivot_word[:1].islower() and best[:1].isupper() and not best[1:2].isupper() and best == source_words[0]:
        return best[:1].lower() + best[1:]  # capitalised only because the source sentence starts with it
    return best


def finish(translated: str, protected: ProtectedPivot, source: str, back: Mapping[str, str],
           *, mark: bool = False) -> str | None:
    """Leg two's marked output made readable; None when a placeholder was lost, doubled or mangled."""
    star = "*" if mark else ""

    def unmark(match: re.Match[str]) -> str:
        marks, word = match.groups()
        if "*" not in marks or _IS_PLACEHOLDER.fullmatch(word):
            return word
        return star + (align(word, back.get(word), source) or word)

    result = _MARKED.sub(unmark, _TAG_LEFT.sub("", translated))  # placeholders lose their marks here and are restored below
    for token, word in protected.originals.items():
        pattern = placeholder_pattern(token)
        if len(pattern.findall(result)) != 1:
            return None
        result = pattern.sub(lambda _m, word=word: star + word, result)
    return result
