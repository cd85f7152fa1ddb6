"""A bounded, thread-safe LRU of translations: (src, tgt, text) -> text, shared by one engine's callers."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable

from models.translation.engine import EngineFailure

__all__ = ["TranslationCache", "translate_with_cache"]


class TranslationCache:
    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str, str], str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, src: str, tgt: str, text: str) -> str | None:
        key = (src, tgt, text)
        with self._lock:
            value = self._entries.get(key)
            if value is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return value

    def put(self, src: str, tgt: str, text: str, translation: str) -> None:
        if self.max_entries <= 0:
            return
        with self._lock:
            self._entries[(src, tgt, text)] = translation
            self._entries.move_to_end((src, tgt, text))
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def translate_with_cache(cache: TranslationCache, texts: list[str], src: str, tgt: str,
                         translate: Callable[[list[str]], list[str]]) -> list[str]:
    """Answer hits from ``cache``; send the distinct misses to ``translate`` in one call; keep input order."""
    outputs: list[str | None] = [cache.get(src, tgt, text) for text in texts]
    missing = list(dict.fromkeys(text for text, out in zip(texts, outputs) if out is None))
    if missing:
        translated = translate(missing)
        if len(translated) != len(missing):
            raise EngineFailure(f"{len(missing)} texts sent, {len(translated)} translations returned")
        found = dict(zip(missing, translated))
        for text, translation in found.items():
            cache.put(src, tgt, text, translation)
        outputs = [found[text] if out is None else out for text, out in zip(texts, outputs)]
    return [out if out is not None else "" for out in outputs]
