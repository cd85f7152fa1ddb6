"""Warnings for the captioner when the session cannot recognise the language spoken on a channel.

* An English-only model (``tiny.en``) turns any other language into fluent, wrong
  English: the console always says so for such a model.
* With a multilingual model, the language detector scores each utterance; when the
  languages the session allows get little of its probability together
  (``allowed_language_mass`` below :data:`LOW_MASS`) for :data:`STRETCH_S` seconds of
  speech in a row, another language is being spoken. One confident utterance resets it.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.recognizer.events import FinalCaption

__all__ = ["LOW_MASS", "STRETCH_S", "LanguageWatch", "english_only_warning"]

LOW_MASS = 0.3
STRETCH_S = 15.0


def english_only_warning(model: str, multilingual: bool) -> str | None:
    if multilingual:
        return None
    return (f"The model {model} recognises English only: speech in any other language comes out as wrong English. "
            "Use a multilingual model for this floor if it is not English.")


@dataclass
class LanguageWatch:
    """Seconds of speech in a row the detector placed outside the session's languages (pure, no I/O)."""

    allowed: tuple[str, ...] = ()
    unsure_s: float = 0.0
    lowest_mass: float = 1.0

    def observe(self, final: FinalCaption) -> None:
        if not final.text:
            return
        if final.allowed_language_mass < LOW_MASS:
            self.unsure_s += max(0.0, final.end_s - final.start_s)
            self.lowest_mass = min(self.lowest_mass, final.allowed_language_mass)
        else:
            self.unsure_s, self.lowest_mass = 0.0, 1.0

    def warning(self) -> str | None:
        if self.unsure_s < STRETCH_S:
            return None
        languages = ", ".join(self.allowed) or "its languages"
        return (f"For {self.unsure_s:.0f} s the speech has not sounded like this session's languages ({languages}): "
                "another language may be spoken, and its captions are wrong. Create the session with that language.")
