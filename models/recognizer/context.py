"""What the session said last, given to the decoder as its prompt: recent finals in one language.

Whisper reads a prompt as the text that came before the audio; conditioned on
the session's recent finals it keeps names, numbers and the sentence it is in
("…we increased our" carries on rather than starting afresh). The context is
bounded (``max_units`` words, or characters for scripts without spaces), holds
one language only (a switch starts it afresh), and is dropped when a decode
looked like a loop, so a hallucination is never fed back into the next one.
Pure: text in, prompt out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.recognizer.policy import UNSPACED_LANGUAGES, join_units, split_units

__all__ = ["SpokenContext"]


@dataclass
class SpokenContext:
    max_units: int = 60
    language: str | None = None
    _units: list[str] = field(default_factory=list)

    def add(self, text: str, language: str) -> None:
        if language != self.language:
            self.reset()
            self.language = language
        self._units = (self._units + split_units(text, language))[-self._limit(language):]

    def reset(self) -> None:
        self._units = []

    def prompt(self, language: str) -> str:
        """The recent text, if it is in ``language``; empty otherwise."""
        if language != self.language or not self._units:
            return ""
        return join_units(self._units, language)

    def _limit(self, language: str) -> int:
        return self.max_units * 2 if language in UNSPACED_LANGUAGES else self.max_units
