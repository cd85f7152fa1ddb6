"""Search snippets: about twenty words (forty characters of Chinese) around the first match,
HTML-escaped, with ``<mark>`` around the words that match.

Computed from the original text with the tokenizer the index uses, so both
engines give the same snippet for the same hit. A word matches a query word
when their normalised forms or their stems (in the hit's language) are equal,
or, for ``word*``, when it begins with the prefix; a phrase is marked where
its words stand together, each word of it alone only if the phrase is nowhere.
"""

from __future__ import annotations

from html import escape

from captions_store.languages import CJK_LANGUAGES, index_group
from captions_store.query import Clause, ParsedQuery
from captions_store.search_tokens import Token, is_cjk, stem, tokens

__all__ = ["snippet", "SNIPPET_WORDS", "SNIPPET_CJK_CHARS"]

SNIPPET_WORDS = 20
SNIPPET_CJK_CHARS = 40
_WORDS_BEFORE = 6
ELLIPSIS = "…"


def snippet(text: str, lang: str, query: ParsedQuery) -> str:
    toks = tokens(text)
    if not toks:
        return escape(text)
    group = index_group(lang)
    marked = _marked(toks, group, query)
    cjk = lang.split("-")[0] in CJK_LANGUAGES or sum(is_cjk(t.norm) for t in toks) * 2 > len(toks)
    width = SNIPPET_CJK_CHARS if cjk else SNIPPET_WORDS
    first = min(marked) if marked else 0
    start = max(0, min(first - (_WORDS_BEFORE * (2 if cjk else 1)), len(toks) - width))
    end = min(len(toks), start + width)
    cut_from = 0 if start == 0 else toks[start].start
    cut_to = len(text) if end == len(toks) else toks[end - 1].end
    return _render(text, toks, marked, cut_from, cut_to)


def _marked(toks: list[Token], group: str, query: ParsedQuery) -> set[int]:
    stems = [stem(t.norm, group) for t in toks]
    marked: set[int] = set()
    for clause in query.clauses:
        marked |= _clause_hits(toks, stems, group, clause)
    return marked


def _word_matches(tok: Token, tok_stem: str, word: str, group: str, prefix: bool) -> bool:
    if prefix:
        return tok.norm.startswith(word) or tok_stem.startswith(stem(word, group))
    return tok.norm == word or tok_stem == stem(word, group)


def _clause_hits(toks: list[Token], stems: list[str], group: str, clause: Clause) -> set[int]:
    words = clause.words
    last = len(words) - 1
    hits: set[int] = set()
    for i in range(len(toks) - last):
        if all(_word_matches(toks[i + k], stems[i + k], w, group, clause.prefix and k == last)
               for k, w in enumerate(words)):
            hits.update(range(i, i + len(words)))
    if hits or not clause.is_phrase:
        return hits
    # Not side by side here (PostgreSQL skips stop words inside phrases): mark the words themselves,
    # except lone Chinese characters, which would light up everywhere.
    for i, tok in enumerate(toks):
        if not is_cjk(tok.norm) and any(_word_matches(tok, stems[i], w, group, False) for w in words):
            hits.add(i)
    return hits


def _render(text: str, toks: list[Token], marked: set[int], cut_from: int, cut_to: int) -> str:
    parts = [ELLIPSIS] if cut_from > 0 else []
    pos = cut_from
    spans = sorted({(toks[i].start, toks[i].end) for i in marked})
    merged: list[list[int]] = []
    for start, end in spans:
        if start < cut_from or end > cut_to:
            continue
        if merged and text[merged[-1][1]:start].strip() == "" and _joinable(text, merged[-1][1], start):
            merged[-1][1] = end
        else:
            merged.append([start, end])
    for start, end in merged:
        parts.append(escape(text[pos:start]))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        pos = end
    parts.append(escape(text[pos:cut_to]))
    if cut_to < len(text):
        parts.append(ELLIPSIS)
    return "".join(parts)


def _joinable(text: str, end: int, start: int) -> bool:
    """Adjacent marked words become one mark (a phrase, a run of Chinese characters)."""
    return start - end <= 1
