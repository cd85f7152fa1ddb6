"""Cut an over-long text into pieces an engine translates well, and put the translations back together.

Recogniser segments are single sentences and are never cut. A pasted or runaway text (thousands of
characters) is cut after sentence-final punctuation, then at spaces, then anywhere, into pieces of at
most ``max_chars``; the whitespace between pieces is kept so the translation is joined the same way.
No model is involved (argostranslate's sentence splitters would download one).
"""

from __future__ import annotations

import re

__all__ = ["Piece", "split_long_text", "join_pieces"]

_SENTENCE_END = re.compile(r"(?<=[.!?;:…。！？；؟])\s+|(?<=[。！？；])")

Piece = tuple[str, str]  # (text to translate, whitespace that followed it)


def _hard_split(text: str, max_chars: int) -> list[str]:
    words = re.split(r"(\s+)", text)
    pieces, current = [], ""
    for word in words:
        while len(word) > max_chars:  # one "word" longer than a piece (no spaces: CJK, URLs, noise)
            if current.strip():
                pieces.append(current)
            current = ""
            pieces.append(word[:max_chars])
            word = word[max_chars:]
        if len(current) + len(word) > max_chars and current.strip():
            pieces.append(current)
            current = ""
        current += word
    if current.strip():
        pieces.append(current)
    return pieces


def split_long_text(text: str, max_chars: int) -> list[Piece]:
    """Pieces of at most ``max_chars`` characters; ``"".join(p + sep for p, sep in pieces) == text`` up to
    leading whitespace. A text that fits is one piece."""
    if len(text) <= max_chars:
        return [(text, "")]
    sentences = [s for s in _SENTENCE_END.split(text) if s]
    separators = [m.group(0) for m in _SENTENCE_END.finditer(text)]
    pieces: list[Piece] = []
    current, current_sep = "", ""
    for i, sentence in enumerate(sentences):
        sep = separators[i] if i < len(separators) else ""
        if len(sentence) > max_chars:
            if current:
                pieces.append((current, current_sep))
                current, current_sep = "", ""
            parts = _hard_split(sentence, max_chars)
            for part in parts[:-1]:
                stripped = part.rstrip()
                pieces.append((stripped, part[len(stripped):]))
            last = parts[-1] if parts else ""
            current, current_sep = last.rstrip(), last[len(last.rstrip()):] + sep
            continue
        candidate = current + current_sep + sentence if current else sentence
        if len(candidate) > max_chars:
            pieces.append((current, current_sep))
            current = sentence
        else:
            current = candidate
        current_sep = sep
    if current:
        pieces.append((current, current_sep))
    return pieces


def join_pieces(translations: list[str], pieces: list[Piece]) -> str:
    return "".join(t.strip() + sep for t, (_, sep) in zip(translations, pieces)).strip()
