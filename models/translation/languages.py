"""The six UN languages: codes, names in their own script and in English, and the 30 directions."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Language", "LANGUAGES", "UN_CODES", "DIRECTIONS", "direction_key", "parse_direction", "is_un_language"]


@dataclass(frozen=True)
class Language:
    code: str
    native_name: str
    english_name: str


LANGUAGES: dict[str, Language] = {
    "ar": Language("ar", "العربية", "Arabic"),
    "zh": Language("zh", "中文", "Chinese"),
    "en": Language("en", "English", "English"),
    "fr": Language("fr", "Français", "French"),
    "ru": Language("ru", "Русский", "Russian"),
    "es": Language("es", "Español", "Spanish"),
}

UN_CODES: tuple[str, ...] = tuple(LANGUAGES)

# Every ordered pair of distinct UN languages: 6 x 5 = 30 directions.
DIRECTIONS: tuple[tuple[str, str], ...] = tuple((src, tgt) for src in UN_CODES for tgt in UN_CODES if src != tgt)


def is_un_language(code: str) -> bool:
    return code in LANGUAGES


def direction_key(src: str, tgt: str) -> str:
    """``("en", "es")`` -> ``"en-es"``, the form used in settings and in the status API."""
    return f"{src}-{tgt}"


def parse_direction(key: str) -> tuple[str, str]:
    """``"en-es"`` -> ``("en", "es")``; ValueError for anything that is not two UN codes."""
    parts = key.strip().lower().split("-")
    if len(parts) != 2 or not all(is_un_language(p) for p in parts) or parts[0] == parts[1]:
        raise ValueError(f"{key!r} is not a translation direction between two different UN languages "
                         f"({', '.join(UN_CODES)}), e.g. 'en-es'")
    return parts[0], parts[1]
