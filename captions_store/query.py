"""User search queries, parsed here and never handed to a database's query syntax.

Grammar (everything else is text)::

    query   := (clause | speaker)*     clauses are ANDed
    clause  := '"' words '"'           a phrase: the words next to each other, in order
             | word ['*']              a word; with '*', every word it begins (3 letters at least)
    speaker := 'speaker:' ('"' name '"' | name)
                                       only lines whose speaker label contains the name
                                       (case-insensitive); a query may be a speaker alone

A word that the tokenizer splits (``co-operation``, ``U.N.``, ``联合国``) is
a phrase of its tokens, so a run of Chinese characters matches as a substring.
Operators some engines know (``AND``, ``OR``, ``NOT``, ``NEAR(``, ``-``,
``:``, ``^``) are plain words or punctuation here (``speaker:`` is the one
filter). Control characters and
lone surrogates are dropped. The backends render a :class:`ParsedQuery` into
their own syntax from normalised tokens only (letters, digits, marks).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from captions_store.errors import QueryError
from captions_store.search_tokens import is_cjk, tokens

__all__ = ["Clause", "ParsedQuery", "parse_query", "MAX_QUERY_CHARS", "MAX_CLAUSES", "MIN_PREFIX_CHARS",
           "MAX_SPEAKER_CHARS"]

MAX_QUERY_CHARS = 256
MAX_CLAUSES = 16
MIN_PREFIX_CHARS = 3
MAX_SPEAKER_CHARS = 120  # a speaker label's own limit
_PIECE = re.compile(r'(?i:speaker):(?:"([^"]*)"?|(\S*))|"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class Clause:
    words: tuple[str, ...]  # normalised tokens, in order; one for a plain word
    prefix: bool = False  # the last word is a prefix

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class ParsedQuery:
    clauses: tuple[Clause, ...]
    speaker: str | None = None  # lower case, spaces collapsed: the speaker label must contain it

    @property
    def words(self) -> tuple[str, ...]:
        return tuple(word for clause in self.clauses for word in clause.words)


def _clean(q: str) -> str:
    # Control and format characters, lone surrogates, unassigned and private code points become spaces.
    return "".join(" " if unicodedata.category(c)[0] == "C" else c for c in q)


def parse_query(q: str) -> ParsedQuery:
    if not isinstance(q, str):
        raise QueryError("the query must be text")
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    clauses: list[Clause] = []
    speaker: str | None = None
    for match in _PIECE.finditer(_clean(q)):
        speaker_quoted, speaker_bare, quoted, bare = match.groups()
        if speaker_quoted is not None or speaker_bare is not None:
            speaker = _speaker(speaker_quoted if speaker_quoted is not None else speaker_bare, speaker)
            continue
        if quoted is not None:
            clause = _clause(quoted, prefix=False)
        else:
            prefix = bare.endswith("*")
            clause = _clause(bare.rstrip("*"), prefix=prefix)
        if clause is not None and clause not in clauses:
            clauses.append(clause)
    if not clauses and speaker is None:
        raise QueryError("nothing to search for: the query has no words")
    if len(clauses) > MAX_CLAUSES:
        raise QueryError(f"the query has more than {MAX_CLAUSES} words or phrases")
    return ParsedQuery(tuple(clauses), speaker)


def _speaker(text: str, earlier: str | None) -> str:
    name = " ".join(text.split()).lower()  # lower(), as the databases compare
    if not name:
        raise QueryError('speaker: needs a name, e.g. speaker:Chair or speaker:"Delegate of Kenya"')
    if len(name) > MAX_SPEAKER_CHARS:
        raise QueryError(f"a speaker name is at most {MAX_SPEAKER_CHARS} characters")
    if earlier is not None and earlier != name:
        raise QueryError("a query can name one speaker")
    return name


def _clause(text: str, *, prefix: bool) -> Clause | None:
    words = tuple(token.norm for token in tokens(text))
    if not words:
        return None
    if prefix and is_cjk(words[-1]):
        prefix = False  # every Chinese character is a word of its own: a prefix adds nothing
    if prefix and len(words[-1]) < MIN_PREFIX_CHARS:
        raise QueryError(f"a prefix search (word*) needs at least {MIN_PREFIX_CHARS} letters")
    return Clause(words, prefix)
