"""The facade the service calls: one text, one source language, several targets, an optional glossary.

``Translator(data_dir, {"en-es": "apertium"}).translate("The meeting is open.", "en", ["es", "fr"])``
returns ``{"es": TranslationResult(...), "fr": ...}``. Every target gets a result:

* same language: the text itself (route ``identity``);
* a direction no engine covers: the text itself, ``translated=False`` (route ``none``);
* an engine failure (crash, timeout): the text itself, ``translated=False`` and ``error`` set, so the other
  languages still go out;
* empty or blank text: returned as is, no engine call.

Texts longer than ``chunk_chars`` are cut (see :mod:`models.translation.chunking`) and the pieces sent in
one batch; texts longer than ``max_text_chars`` are refused with :class:`TextTooLong`. Unknown language
codes raise :class:`UnknownLanguage`. Constructing a Translator loads nothing; models load on first use.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from models.translation.apertium import ApertiumEngine
from models.translation.argos import ArgosEngine
from models.translation.chunking import join_pieces, split_long_text
from models.translation.engine import (Route, TextTooLong, TranslationEngine, TranslationError, UnknownLanguage)
from models.translation.glossary import Glossary
from models.translation.languages import is_un_language
from models.translation.router import Choice, DirectionStatus, Router

__all__ = ["Translator", "TranslationResult", "MAX_TEXT_CHARS", "CHUNK_CHARS"]

log = logging.getLogger(__name__)

MAX_TEXT_CHARS = 20_000
CHUNK_CHARS = 600


@dataclass(frozen=True)
class TranslationResult:
    text: str
    engine: str | None
    model_version: str | None
    translated: bool
    route: Route
    via: str | None = None
    error: str | None = None


class Translator:
    def __init__(self, data_dir: Path, settings_mapping: Mapping[str, str] | None = None, *,
                 engines: Sequence[TranslationEngine] | None = None, apertium_command: str = "apertium",
                 cpu_threads: int = 1, max_text_chars: int = MAX_TEXT_CHARS, chunk_chars: int = CHUNK_CHARS,
                 extra_engines: Sequence[TranslationEngine] = ()) -> None:
        self.data_dir = Path(data_dir)
        if engines is None:  # extra engines (a LibreTranslate server) come after the local ones
            engines = [ArgosEngine(self.data_dir, cpu_threads=cpu_threads), ApertiumEngine(apertium_command),
                       *extra_engines]
        self.router = Router(engines, settings_mapping)
        self.max_text_chars = max_text_chars
        self.chunk_chars = chunk_chars

    @property
    def argos(self) -> ArgosEngine:
        return self.router.engine("argos")  # type: ignore[return-value]

    def status(self) -> list[DirectionStatus]:
        return self.router.status()

    def translate(self, text: str, src: str, targets: Sequence[str],
                  glossary: Glossary | Mapping[str, Mapping[str, str]] | None = None) -> dict[str, TranslationResult]:
        for code in (src, *targets):
            if not is_un_language(code):
                raise UnknownLanguage(code)
        if len(text) > self.max_text_chars:
            raise TextTooLong(len(text), self.max_text_chars)
        if glossary is not None and not isinstance(glossary, Glossary):
            glossary = Glossary(dict(glossary))
        return {tgt: self._one(text, src, tgt, glossary) for tgt in dict.fromkeys(targets)}

    def _one(self, text: str, src: str, tgt: str, glossary: Glossary | None) -> TranslationResult:
        choice = self.router.choose(src, tgt)
        if choice.route == "identity":
            return TranslationResult(text, "identity", None, True, "identity")
        if choice.engine is None:
            return TranslationResult(text, None, None, False, "none")
        base = dict(engine=choice.engine.name, model_version=choice.coverage.model_version, route=choice.route,
                    via=choice.coverage.via)
        if not text.strip():
            return TranslationResult(text, translated=True, **base)
        try:
            translated = self._with_glossary(choice, text, src, tgt, glossary)
        except TranslationError as exc:
            log.warning("translation %s->%s by %s failed: %s", src, tgt, choice.engine.name, exc)
            return TranslationResult(text, translated=False, error=str(exc), **base)
        return TranslationResult(translated, translated=True, **base)

    def _with_glossary(self, choice: Choice, text: str, src: str, tgt: str, glossary: Glossary | None) -> str:
        protected = glossary.protect(text, src, tgt) if glossary else None
        if protected is None or not protected.replacements:
            return self._engine_text(choice, text, src, tgt)
        restored = protected.restore(self._engine_text(choice, protected.text, src, tgt))
        if restored is not None:
            return restored
        plain = self._engine_text(choice, text, src, tgt)
        terms = choice.engine.translate_batch(protected.source_terms, src, tgt)
        return protected.post_edit(plain, dict(zip(protected.source_terms, terms)))

    def _engine_text(self, choice: Choice, text: str, src: str, tgt: str) -> str:
        """One engine call: the whole text, or its pieces in one batch when it is over-long."""
        pieces = split_long_text(text, self.chunk_chars)
        if len(pieces) == 1:
            return choice.engine.translate_batch([text], src, tgt)[0]
        return join_pieces(choice.engine.translate_batch([p for p, _ in pieces], src, tgt), pieces)
