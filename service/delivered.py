"""What this instance has delivered of a session: the last ``seq``, and the recent finals as they read now.

The :class:`~service.fanout.Broker` keeps one :class:`Delivered` per session
and updates it with every event it hands to viewers, whether the session is
recorded here or its events arrive through the bus from another instance. It
is the one owner of both: a reloaded page's recent lines (``?recent=N``), the
HLS caption feed, the clock's ``speech_s`` and the ``pong`` all read it.
Corrections are folded into the line they replace (:func:`corrects`), so a
late joiner sees a final as it was edited.
"""

from __future__ import annotations

from collections import deque

__all__ = ["Delivered", "corrects", "RECENT_FINALS"]

RECENT_FINALS = 1200  # finals in every language together: 200 lines in each of the six


def corrects(correction: dict, final: dict) -> bool:
    """The one rule that matches a correction to the line it replaces: same segment, same language."""
    return final["segment_id"] == correction["segment_id"] and final["lang"] == correction["lang"]


class Delivered:
    def __init__(self, keep: int = RECENT_FINALS) -> None:
        self.last_seq = 0
        self._finals: deque[dict] = deque(maxlen=keep)
        self.speech_end_s: float | None = None  # where the newest final as spoken ends (session time)

    def add(self, event: dict) -> None:
        self.last_seq = max(self.last_seq, event.get("seq", 0))
        kind = event.get("type")
        if kind == "final":
            self._finals.append(event)
            if event.get("source_lang") is None:
                self.speech_end_s = max(self.speech_end_s or 0.0, event["end"])
        elif kind == "correction":
            for n, final in enumerate(self._finals):
                if corrects(event, final):
                    self._finals[n] = {**final, "text": event["text"], "speaker": event["speaker"]}

    @classmethod
    def of(cls, events: list[dict]) -> "Delivered":
        """Built from events read back (the bus's replay), for a session nothing has come through here yet."""
        delivered = cls()
        for event in events:
            delivered.add(event)
        return delivered

    def finals(self) -> list[dict]:
        """Oldest first."""
        return list(self._finals)
