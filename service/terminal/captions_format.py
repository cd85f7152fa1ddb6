"""The live terminal view of ``floorcast stream``: finished captions scroll, the open one stays at the bottom.

Caption file formats (SRT, WebVTT, cue layout) live in :mod:`captions_store.exports`.
"""

from __future__ import annotations

from rich.console import Console
from rich.live import Live
from rich.text import Text

from service.protocol import FinalEvent, PartialEvent, SessionEndedEvent

__all__ = ["partial_text", "LiveCaptions"]


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
