"""Caption cues for one segment, following broadcast subtitling conventions.

A cue holds at most ``max_lines`` lines of at most ``max_chars`` characters
(42; 16 for Chinese, Japanese and Korean, whose characters are twice as wide)
and stays on screen at most ``max_duration_s``. A cue never spans two
segments. When a cue is full it ends at the last clause end (``.`` ``,`` ``。``
``،``...) that fills at least half a line, else where it is full; a segment's
last cue shorter than half a line takes words from the cue before, so the two
come out even. A two-line cue is broken where the lines come out most even,
favouring a break after a clause end near there.

Timing comes from :mod:`.pieces`: word timings when the text has them, else
the segment's time shared out by character count. Every cue lies within its
segment's ``start_s..end_s``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from captions_store.exports.pieces import Piece, TimedWord, base_language, timed_pieces

__all__ = ["LineRules", "Cue", "WIDE_LANGUAGES", "rules_for", "segment_cues", "settle_cues"]

WIDE_LANGUAGES = frozenset({"zh", "yue", "ja", "ko"})
CLAUSE_ENDS = tuple(".,;:!?…。，、！？；：،؛؟۔")
_CLOSERS = "\"'”’»)]）」』》"
_MIN_CUE_S = 0.001


@dataclass(frozen=True)
class LineRules:
    max_chars: int = 42
    max_lines: int = 2
    max_duration_s: float = 7.0


@dataclass(frozen=True)
class Cue:
    start_s: float
    end_s: float
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def rules_for(lang: str | None) -> LineRules:
    return LineRules(max_chars=16) if base_language(lang) in WIDE_LANGUAGES else LineRules()


def _join(pieces: Sequence[Piece]) -> str:
    return "".join(p.text for p in pieces).strip()


def _wrap(pieces: Sequence[Piece], max_chars: int) -> list[str]:
    """Greedy lines of at most ``max_chars`` (pieces are never longer than a line)."""
    lines: list[str] = []
    start = 0
    for i in range(1, len(pieces) + 1):
        if i - start > 1 and len(_join(pieces[start:i])) > max_chars:
            lines.append(_join(pieces[start:i - 1]))
            start = i - 1
    if start < len(pieces):
        lines.append(_join(pieces[start:]))
    return lines


def _ends_clause(piece: Piece) -> bool:
    return piece.text.rstrip().rstrip(_CLOSERS).endswith(CLAUSE_ENDS)


def _balance_cost(first: Sequence[Piece], second: Sequence[Piece], max_chars: int) -> int:
    """The longer side's length, less a fifth of a line when the first ends a clause."""
    longest = max(len(_join(first)), len(_join(second)))
    return longest - (max_chars // 5 if _ends_clause(first[-1]) else 0)


def _layout(pieces: Sequence[Piece], max_chars: int) -> tuple[str, ...]:
    """Lines of a cue: two lines are broken where they come out even, after a clause end if one is near."""
    lines = _wrap(pieces, max_chars)
    if len(lines) != 2:
        return tuple(lines)
    splits = [i for i in range(1, len(pieces))
              if max(len(_join(pieces[:i])), len(_join(pieces[i:]))) <= max_chars]
    best = min(splits, key=lambda i: _balance_cost(pieces[:i], pieces[i:], max_chars))
    return _join(pieces[:best]), _join(pieces[best:])


def _cut(pieces: Sequence[Piece], max_chars: int) -> int:
    """How many pieces of a full cue to show now: up to the last clause end if that fills half a line, else all."""
    for k in range(len(pieces) - 1, 0, -1):
        if _ends_clause(pieces[k - 1]) and len(_join(pieces[:k])) >= max_chars // 2:
            return k
    return len(pieces)


def _cue(pieces: Sequence[Piece], rules: LineRules, start_s: float, end_s: float) -> Cue:
    """The cue showing ``pieces``, its time kept inside the segment and at least a millisecond long."""
    start, end = pieces[0].start_s, pieces[-1].end_s
    if end_s > start_s:
        start, end = min(max(start, start_s), end_s), min(max(end, start_s), end_s)
        if end - start < _MIN_CUE_S:
            end = min(start + _MIN_CUE_S, end_s)
            start = max(min(start, end - _MIN_CUE_S), start_s)
    else:
        end = max(end, start + _MIN_CUE_S)
    return Cue(start, end, _layout(pieces, rules.max_chars))


def _fits(pieces: Sequence[Piece], rules: LineRules) -> bool:
    return len(_wrap(pieces, rules.max_chars)) <= rules.max_lines and \
        pieces[-1].end_s - pieces[0].start_s <= rules.max_duration_s


def _even_tail(groups: list[list[Piece]], rules: LineRules) -> None:
    """A last cue under half a line takes pieces from the one before, where the two come out most even."""
    if len(groups) < 2 or len(_join(groups[-1])) >= rules.max_chars // 2:
        return
    both = groups[-2] + groups[-1]
    splits = [i for i in range(1, len(both)) if _fits(both[:i], rules) and _fits(both[i:], rules)]
    if splits:
        best = min(splits, key=lambda i: _balance_cost(both[:i], both[i:], rules.max_chars))
        groups[-2:] = [both[:best], both[best:]]


def segment_cues(text: str, *, lang: str | None, start_s: float, end_s: float,
                 words: Sequence[TimedWord] = (), rules: LineRules | None = None) -> list[Cue]:
    """The cues of one segment's ``text`` (in language ``lang``), in order, none overlapping."""
    rules = rules or rules_for(lang)
    pieces = timed_pieces(text, lang=lang, start_s=start_s, end_s=end_s, words=words, max_chars=rules.max_chars)
    groups: list[list[Piece]] = []
    current: list[Piece] = []
    for piece in pieces:
        current.append(piece)
        while len(current) > 1 and not _fits(current, rules):
            shown = current[:_cut(current[:-1], rules.max_chars)]
            groups.append(shown)
            current = current[len(shown):]
    if current:
        groups.append(current)
    _even_tail(groups, rules)
    return settle_cues([_cue(group, rules, start_s, end_s) for group in groups])


def settle_cues(cues: Sequence[Cue]) -> list[Cue]:
    """Cues in the order given, each ending no later than the next one starts (when that is after its start)."""
    settled: list[Cue] = []
    for i, cue in enumerate(cues):
        nxt = cues[i + 1] if i + 1 < len(cues) else None
        end = min(cue.end_s, nxt.start_s) if nxt is not None and nxt.start_s > cue.start_s else cue.end_s
        settled.append(Cue(cue.start_s, end, cue.lines))
    return settled
