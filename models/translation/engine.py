"""What every translation engine offers, and the errors of the translation package.

Errors, drawn once (engine-specific exceptions are translated into these at the engine's boundary)::

    TranslationError                 anything the translation package refuses or fails to do
    ├── UnknownLanguage              a code outside the six UN languages (ar zh en fr ru es)
    ├── UnsupportedDirection         no engine (or not this engine) covers src -> tgt
    ├── TextTooLong                  a text beyond the facade's limit
    ├── PackageError                 a corrupt or truncated package, or one for a language outside the six
    └── EngineFailure                the engine ran and failed (crash, timeout, misaligned output)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "Route", "Coverage", "TranslationEngine", "TranslationError", "UnknownLanguage", "UnsupportedDirection",
    "TextTooLong", "PackageError", "EngineFailure", "NO_COVERAGE",
]

Route = Literal["direct", "pivot", "none", "identity"]


@dataclass(frozen=True)
class Coverage:
    """How an engine covers one direction: straight, or through ``via`` (a pivot language)."""

    route: Route
    via: str | None = None
    model_version: str | None = None

    @property
    def covered(self) -> bool:
        return self.route in ("direct", "pivot", "identity")


NO_COVERAGE = Coverage("none")


@runtime_checkable
class TranslationEngine(Protocol):
    """An engine translates batches of texts in one direction.

    ``translate_batch`` returns exactly one output per input, in order, and raises
    :class:`UnsupportedDirection` for a direction that ``covers`` denies.
    """

    name: str

    @property
    def version(self) -> str: ...

    def covers(self, src: str, tgt: str) -> bool: ...

    def coverage(self, src: str, tgt: str) -> Coverage: ...

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]: ...


class TranslationError(Exception):
    """Base of every error raised by models.translation."""


class UnknownLanguage(TranslationError, ValueError):
    def __init__(self, code: str) -> None:
        from models.translation.languages import UN_CODES

        super().__init__(f"unknown language code {code!r}: floorcast translates between {', '.join(UN_CODES)}")
        self.code = code


class UnsupportedDirection(TranslationError):
    def __init__(self, src: str, tgt: str, engine: str | None = None) -> None:
        who = f"engine {engine!r}" if engine else "no installed engine"
        super().__init__(f"{who} does not translate {src} -> {tgt}")
        self.src, self.tgt, self.engine = src, tgt, engine


class TextTooLong(TranslationError, ValueError):
    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"text of {length} characters is longer than the {limit}-character limit")
        self.length, self.limit = length, limit


class PackageError(TranslationError):
    """A translation package that cannot be installed; nothing of it is left behind."""


class EngineFailure(TranslationError):
    """The engine was asked and failed: crashed, timed out, or returned output that does not line up."""
