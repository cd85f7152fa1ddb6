"""Caption formats: SRT / WebVTT cues from timed words, and the live terminal view of ``floorcast stream``.

Cue rules (broadcast subtitling conventions): at most ``max_lines`` lines of
``max_chars`` characters, at most ``max_duration_s`` on screen, never spanning
two segments; two-line cues are broken where the lines come out most even.
Word texts keep Whisper's spelling, leading space included, so joining them
is right for languages written with and without spaces alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

from rich.console import Console
from rich.live import Live
from rich.text import Text

from service.protocol import FinalEvent, PartialEvent, SessionEndedEvent

__all__ = ["TimedWord", "Cue", "timestamp", "build_cues", "to_srt", "to_vtt", "partial_text", "LiveCaptions"]

CLAUSE_ENDS = tuple(".,;:!?。，、！？；：…")


class TimedWord(Protocol):
    word: str
    start: float
    end: float


class TimedSegment(Protocol):
    start: float
    end: float
    text: str

    @property
    def words(self) -> Sequence[TimedWord]: ...


@dataclass(frozen=True)
class _Unit:
    word: str
    start: float
    end: float


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]


def timestamp(seconds: float, separator: str = ",") -> str:
    """``HH:MM:SS,mmm`` (SRT) or, with ``separator="."``, ``HH:MM:SS.mmm`` (WebVTT)."""
    ms = max(0, round(seconds * 1000))
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{ms:03d}"


def _join(units: Sequence[_Unit]) -> str:
    return "".join(u.word for u in units).strip()


def _wrap(units: Sequence[_Unit], max_chars: int) -> list[str]:
    """Greedy lines of at most ``max_chars`` (a longer single word gets a line of its own)."""
    lines: list[str] = []
    start = 0
    for i in range(1, len(units) + 1):
        if i - start > 1 and len(_join(units[start:i])) > max_chars:
            lines.append(_join(units[start:i - 1]))
            start = i - 1
    if start < len(units):
        lines.append(_join(units[start:]))
    return lines


def _ends_clause(unit: _Unit) -> bool:
    return unit.word.rstrip().endswith(CLAUSE_ENDS)


def _layout(units: Sequence[_Unit], max_chars: int) -> tuple[str, ...]:
    """Lines of a cue; two lines are broken where they come out even, after a clause if one ends near there."""
    lines = _wrap(units, max_chars)
    if len(lines) != 2:
        return tuple(lines)

    def cost(i: int) -> float:
        longest = max(len(_join(units[:i])), len(_join(units[i:])))
        return longest + (max_chars if longest > max_chars else 0) - (8 if _ends_clause(units[i - 1]) else 0)

    best = min(range(1, len(units)), key=cost)
    return _join(units[:best]), _join(units[best:])


def _cut(current: list[_Unit], max_chars: int) -> int:
    """How many units of a full cue to show now: up to the last clause end if that fills half a line, else all."""
    for k in range(len(current) - 1, 0, -1):
        if _ends_clause(current[k - 1]) and len(_join(current[:k])) >= max_chars // 2:
            return k
    return len(current)


def _units(segment: TimedSegment) -> list[_Unit]:
    if segment.words:
        return [_Unit(w.word, w.start, w.end) for w in segment.words]
    pieces = [" " + p for p in segment.text.split()]  # no word timings: share the segment's time by length
    total = sum(len(p) for p in pieces) or 1
    span, at, units = segment.end - segment.start, 0, []
    for piece in pieces:
        start = segment.start + span * at / total
        at += len(piece)
        units.append(_Unit(piece, start, segment.start + span * at / total))
    return units


def build_cues(segments: Iterable[TimedSegment], *, max_chars: int = 42, max_lines: int = 2,
               max_duration_s: float = 7.0) -> list[Cue]:
    cues: list[Cue] = []
    for segment in segments:
        current: list[_Unit] = []

        def full(units: list[_Unit]) -> bool:
            return len(units) > 1 and (len(_wrap(units, max_chars)) > max_lines
                                       or units[-1].end - units[0].start > max_duration_s)

        for unit in _units(segment):
            current.append(unit)
            while full(current):
                shown = current[:_cut(current[:-1], max_chars)]
                cues.append(Cue(shown[0].start, shown[-1].end, _layout(shown, max_chars)))
                current = current[len(shown):]
        if current and _join(current):
            cues.append(Cue(current[0].start, current[-1].end, _layout(current, max_chars)))
    for i, cue in enumerate(cues):  # no overlaps, no zero-length cues
        end = min(cue.end, cues[i + 1].start) if i + 1 < len(cues) else cue.end
        cues[i] = Cue(cue.start, max(end, cue.start + 0.001), cue.lines)
    return cues


def to_srt(cues: Sequence[Cue]) -> str:
    blocks = [f"{n}\n{timestamp(c.start)} --> {timestamp(c.end)}\n" + "\n".join(c.lines)
              for n, c in enumerate(cues, 1)]
    return "\n\n".join(blocks) + "\n" if blocks else ""


def to_vtt(cues: Sequence[Cue]) -> str:
    blocks = [f"{timestamp(c.start, '.')} --> {timestamp(c.end, '.')}\n" + "\n".join(c.lines) for c in cues]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + ("\n" if blocks else "")


# -- terminal --------------------------------------------------------------------------
def partial_text(text: str, stable: int) -> Text:
    """The open segment: its stable prefix bold, the tail that may still change dim."""
    out = Text()
    out.append(text[:stable], style="bold")
    out.append(text[stable:], style="dim")
    return out


class LiveCaptions:
    """Finished lines scroll up; the current partial stays at the bottom until its final arrives."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._partial: PartialEvent | None = None
        self._live = Live(Text(""), console=console, auto_refresh=False, transient=True)

    def __enter__(self) -> "LiveCaptions":
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.update(Text(""), refresh=True)
        self._live.__exit__(*exc)  # type: ignore[arg-type]

    def _line(self, event: PartialEvent | FinalEvent, body: Text) -> Text:
        return Text.assemble((f"{event.start:7.1f}s {event.lang} ", "cyan"), body)

    def show(self, event: PartialEvent | FinalEvent | SessionEndedEvent, received_at: float = 0.0) -> None:
        printed: Text | None = None
        if isinstance(event, PartialEvent):
            self._partial = event
        elif isinstance(event, FinalEvent):
            if self._partial is not None and self._partial.segment_id == event.segment_id:
                self._partial = None
            if event.text:  # an empty final withdraws a partial that turned out to be noise
                printed = self._line(event, Text(event.text))
        else:
            printed = Text("session ended", style="yellow")
        shown = self._line(self._partial, partial_text(self._partial.text, self._partial.stable)) \
            if self._partial else Text("")
        self._live.update(shown, refresh=True)
        if printed is not None:
            self._live.console.print(printed)  # prints above the live line, then redraws it
