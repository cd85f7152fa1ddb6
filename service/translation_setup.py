"""The translation engines a deployment's settings ask for, built once for the server and the CLI alike."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.translation.libretranslate import LibreTranslateEngine
from models.translation.translator import Translator

__all__ = ["translator_for", "libretranslate_for"]


def libretranslate_for(settings: Any) -> LibreTranslateEngine | None:
    url = getattr(settings, "libretranslate_url", "")
    if not url:
        return None
    return LibreTranslateEngine(url, api_key=settings.libretranslate_api_key,
                                timeout_s=settings.libretranslate_timeout_s, retries=settings.libretranslate_retries,
                                rest_s=settings.libretranslate_rest_s)


def translator_for(settings: Any) -> Translator:
    """Argos and Apertium, then a LibreTranslate server when one is set; per-direction choices applied."""
    extra = [engine for engine in (libretranslate_for(settings),) if engine is not None]
    return Translator(Path(settings.data_dir).resolve(), getattr(settings, "translation_engines", None) or {},
                      apertium_command=getattr(settings, "apertium_command", "apertium"), extra_engines=extra)
