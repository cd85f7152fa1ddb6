"""A session glossary: fixed terms rendered the way the meeting wants, in every target language.

Entries map a term to its renderings, e.g. ``{"Member States": {"es": "Estados Miembros",
"fr": "États membres"}}``. For one text and one direction:

1. :meth:`Glossary.protect` finds the term in the source text (its rendering in the source language, or the
   term itself; case-insensitive, whole words, longest first) and replaces each occurrence by a placeholder
   (``ZXQ0QXZ``) that engines carry through unchanged: an unknown word to Apertium, a plain token to a
   neural model;
2. the engine translates the protected text;
3. :meth:`Protected.restore` puts each target rendering where its placeholder came out, or returns None if
   a placeholder was lost, duplicated or mangled;
4. then the safe post-edit: the engine translates the original text and each matched term on its own, and
   :meth:`Protected.post_edit` replaces the engine's own rendering of the term (when it appears) by the
   glossary's. Where it does not appear, the text is left as the engine made it.

Only terms with a rendering for the target language are protected. Pure string work; no engine here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping

from models.translation.engine import TranslationError, UnknownLanguage
from models.translation.languages import is_un_language

__all__ = ["Glossary", "GlossaryError", "Protected", "Replacement", "placeholder", "placeholder_indices",
           "placeholder_pattern"]

_PLACEHOLDER_ANY = re.compile(r"ZXQ\s*\d+\s*QXZ", re.IGNORECASE)
_NO_WORD_SPACES = {"zh"}  # scripts written without spaces: a term may sit between any two characters


class GlossaryError(TranslationError, ValueError):
    """A glossary that cannot be used as given."""


def placeholder(index: int) -> str:
    return f"ZXQ{index}QXZ"


def placeholder_pattern(token: str) -> re.Pattern[str]:
    """Where ``token`` (a :func:`placeholder`) came out of an engine, tolerating spaces and case changes."""
    return re.compile(re.escape(token[:3]) + r"\s*" + re.escape(token[3:-3]) + r"\s*" + re.escape(token[-3:]),
                      re.IGNORECASE)


def placeholder_indices(text: str) -> set[int]:
    """The indices of the placeholders already in ``text`` (so that new ones can be numbered past them)."""
    return {int(re.sub(r"\D", "", m.group(0))) for m in _PLACEHOLDER_ANY.finditer(text)}


@dataclass(frozen=True)
class Replacement:
    placeholder: str
    source: str  # the occurrence as written in the source text
    rendering: str  # what the target language must read


@dataclass(frozen=True)
class Protected:
    text: str
    replacements: tuple[Replacement, ...] = ()
    target: str = ""

    @property
    def source_terms(self) -> list[str]:
        """Each distinct occurrence, for translating on its own in the post-edit fallback."""
        return list(dict.fromkeys(r.source for r in self.replacements))

    def restore(self, translated: str) -> str | None:
        """Placeholders replaced by renderings; None if any placeholder did not come back exactly once."""
        result = translated
        for r in self.replacements:
            pattern = placeholder_pattern(r.placeholder)
            if len(pattern.findall(result)) != 1:
                return None
            result = pattern.sub(lambda _m, rendering=r.rendering: rendering, result)
        if _PLACEHOLDER_ANY.search(result):
            return None
        return result

    def post_edit(self, translated: str, term_translations: Mapping[str, str]) -> str:
        """Replace the engine's rendering of each term (translated on its own) by the glossary's rendering."""
        result = translated
        for r in self.replacements:
            engine_rendering = term_translations.get(r.source, "").strip().strip(".。!?¡¿ ")
            if not engine_rendering or engine_rendering.casefold() == r.rendering.casefold():
                continue
            pattern = re.escape(engine_rendering)
            if self.target not in _NO_WORD_SPACES:
                pattern = rf"(?<!\w){pattern}(?!\w)"
            result = re.sub(pattern, lambda _m, rendering=r.rendering: rendering, result, flags=re.IGNORECASE)
        return result


@dataclass
class Glossary:
    entries: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        cleaned: dict[str, dict[str, str]] = {}
        for term, renderings in self.entries.items():
            if not isinstance(term, str) or not term.strip():
                raise GlossaryError("a glossary term must be a non-empty string")
            if not isinstance(renderings, Mapping):
                raise GlossaryError(f"glossary term {term!r}: renderings must map language codes to text")
            for lang, rendering in renderings.items():
                if not is_un_language(lang):
                    raise UnknownLanguage(lang)
                if not isinstance(rendering, str) or not rendering.strip():
                    raise GlossaryError(f"glossary term {term!r}: empty rendering for {lang}")
            cleaned[term.strip()] = {lang: text.strip() for lang, text in renderings.items()}
        self.entries = cleaned

    def __len__(self) -> int:
        return len(self.entries)

    def _pattern(self, src: str, tgt: str) -> tuple[re.Pattern[str], dict[str, str]] | None:
        """One regex for every source form of the terms that have a ``tgt`` rendering, longest first."""
        rendering_of: dict[str, str] = {}
        for term, renderings in self.entries.items():
            if tgt not in renderings:
                continue
            for form in {term, renderings.get(src, term)}:
                rendering_of.setdefault(form.casefold(), renderings[tgt])
        if not rendering_of:
            return None
        forms = sorted(rendering_of, key=len, reverse=True)
        alternatives = "|".join(re.escape(f) for f in forms)
        if src in _NO_WORD_SPACES:
            pattern = re.compile(f"(?:{alternatives})", re.IGNORECASE)
        else:
            pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
        return pattern, rendering_of

    def protect(self, text: str, src: str, tgt: str) -> Protected:
        found = self._pattern(src, tgt) if src != tgt else None
        if found is None:
            return Protected(text, target=tgt)
        pattern, rendering_of = found
        replacements: list[Replacement] = []

        def swap(match: re.Match[str]) -> str:
            token = placeholder(len(replacements))
            replacements.append(Replacement(token, match.group(0), rendering_of[match.group(0).casefold()]))
            return token

        protected = pattern.sub(swap, text)
        return Protected(protected, tuple(replacements), tgt)
