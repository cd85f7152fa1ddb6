"""The Apertium engine: Debian's rule-based translator, run as the ``apertium`` command (no shell).

Directions are the installed modes (``apertium -l``), named either with two-letter codes (``fr-es``) or
three-letter ones (``eng-spa``); a direction without a mode is covered by pivot through a language both
legs share (Spanish first: Apertium's pairs centre on it), e.g. en -> es -> fr.

A batch is one process per leg. Each text becomes one HTML block ``<p data-i="N">…</p>`` and the call is
``apertium -u -f html-noent MODE``. Measured on this machine with apertium-eng-spa and apertium-fr-es:

* block tags come back verbatim and in order, and Apertium treats each block as a sentence on its own, so
  words never move from one text into its neighbour (in plain-text mode ``the red`` / ``car`` on two lines
  came back as ``El coche`` / ``rojo``; ``-f line`` drops every final full stop);
* newlines inside a text stay inside its block;
* ``&``, ``<`` and ``>`` are escaped going in and unescaped coming out; other characters pass untouched.

If the blocks do not come back one per text (never seen), the batch is retried text by text.

Unknown words are not marked (``-u``): a caption reader gains nothing from ``*Tedros``, and marks would
break glossary placeholders. Pass ``mark_unknown=True`` to see them (e.g. to audit coverage).
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import threading

from models.translation.apertium_unknowns import finish, protect_unknowns, unknown_words
from models.translation.cache import TranslationCache, translate_with_cache
from models.translation.engine import NO_COVERAGE, Coverage, EngineFailure, UnsupportedDirection

__all__ = ["ApertiumEngine", "ISO_639_3", "PIVOT_PREFERENCE"]

ISO_639_3 = {"ar": "ara", "zh": "zho", "en": "eng", "fr": "fra", "ru": "rus", "es": "spa"}
PIVOT_PREFERENCE: tuple[str, ...] = ("es", "en", "fr", "ru", "ar", "zh")
_BLOCK = re.compile(r'<p data-i="(\d+)">(.*?)</p>', re.DOTALL)


class ApertiumEngine:
    name = "apertium"

    def __init__(self, command: str = "apertium", *, timeout_s: float = 30.0, seconds_per_char: float = 0.002,
                 mark_unknown: bool = False, cache_entries: int = 4096) -> None:
        self.command = command
        self.timeout_s = timeout_s
        self.seconds_per_char = seconds_per_char
        self.mark_unknown = mark_unknown
        self.cache = TranslationCache(cache_entries)
        self.process_calls = 0
        self._lock = threading.Lock()
        self._modes: frozenset[str] | None = None
        self._version: str | None = None

    # discovery

    def available(self) -> bool:
        return shutil.which(self.command) is not None

    def modes(self) -> frozenset[str]:
        """Installed translation modes, read once with ``apertium -l`` (empty when Apertium is absent)."""
        with self._lock:
            if self._modes is None:
                self._modes = frozenset(self._list_modes())
            return self._modes

    def _list_modes(self) -> list[str]:
        if not self.available():
            return []
        try:
            listing = subprocess.run([self.command, "-l"], capture_output=True, text=True, timeout=self.timeout_s,
                                     check=False)
        except (OSError, subprocess.TimeoutExpired):
            return []
        return [line.strip() for line in listing.stdout.splitlines() if line.strip()]

    @property
    def version(self) -> str:
        """``Apertium 3.8.3`` (from ``apertium -V``), read once."""
        if self._version is None:
            self._version = "apertium (not installed)"
            if self.available():
                try:
                    shown = subprocess.run([self.command, "-V"], capture_output=True, text=True,
                                           timeout=self.timeout_s, check=False)
                    lines = (shown.stdout + shown.stderr).strip().splitlines()
                    self._version = lines[0] if lines else "apertium"
                except (OSError, subprocess.TimeoutExpired):
                    self._version = "apertium"
        return self._version

    def mode_for(self, src: str, tgt: str) -> str | None:
        modes = self.modes()
        for name in (f"{src}-{tgt}", f"{ISO_639_3.get(src, src)}-{ISO_639_3.get(tgt, tgt)}"):
            if name in modes:
                return name
        return None

    def coverage(self, src: str, tgt: str) -> Coverage:
        if src == tgt:
            return Coverage("identity")
        direct = self.mode_for(src, tgt)
        if direct:
            return Coverage("direct", model_version=f"apertium:{direct}")
        for via in PIVOT_PREFERENCE:
            if via in (src, tgt):
                continue
            first, second = self.mode_for(src, via), self.mode_for(via, tgt)
            if first and second:
                return Coverage("pivot", via=via, model_version=f"apertium:{first}+{second}")
        return NO_COVERAGE

    def covers(self, src: str, tgt: str) -> bool:
        return self.coverage(src, tgt).covered

    def _chain(self, src: str, tgt: str) -> list[str]:
        coverage = self.coverage(src, tgt)
        if coverage.route == "direct":
            return [self.mode_for(src, tgt)]
        if coverage.route == "pivot":
            return [self.mode_for(src, coverage.via), self.mode_for(coverage.via, tgt)]
        if coverage.route == "identity":
            return []
        raise UnsupportedDirection(src, tgt, self.name)

    # translation

    def translate_batch(self, texts: list[str], src: str, tgt: str) -> list[str]:
        chain = self._chain(src, tgt)
        if not chain:
            return list(texts)

        def run(missing: list[str]) -> list[str]:
            if len(chain) == 2:
                return self._run_pivot(chain, missing, self.mode_for(self.coverage(src, tgt).via, src))
            return self._run_chain(chain, missing)

        return translate_with_cache(self.cache, list(texts), src, tgt, run)

    def _run_chain(self, chain: list[str], texts: list[str]) -> list[str]:
        outputs = texts
        for mode in chain:
            outputs = self._run_mode(mode, outputs)
        return outputs

    def _run_pivot(self, chain: list[str], texts: list[str], reverse: str | None) -> list[str]:
        """Both legs marked; leg one's unknowns carried as placeholders, leg two's aligned back to the source
        (:mod:`models.translation.apertium_unknowns`). A text whose placeholders do not come back goes the
        plain way (both legs unmarked)."""
        first, second = chain
        protected = [protect_unknowns(text) for text in self._run_mode(first, texts, marks=True)]
        translated = self._run_mode(second, [p.text for p in protected], marks=True)
        unknown = list(dict.fromkeys(w for text in translated for w in unknown_words(text)))
        back = dict(zip(unknown, self._run_mode(reverse, unknown, marks=True))) if unknown and reverse else {}
        outputs = [finish(out, p, text, back, mark=self.mark_unknown)
                   for text, p, out in zip(texts, protected, translated)]
        lost = [i for i, out in enumerate(outputs) if out is None]
        for i, out in zip(lost, self._run_chain(chain, [texts[i] for i in lost]) if lost else []):
            outputs[i] = out
        return outputs

    def _run_mode(self, mode: str, texts: list[str], *, marks: bool = False) -> list[str]:
        todo = [i for i, text in enumerate(texts) if text.strip()]
        if not todo:
            return list(texts)
        found = self._call(mode, [texts[i] for i in todo], marks=marks)
        if found is None:  # blocks did not line up: one call per text
            found = []
            for i in todo:
                single = self._call(mode, [texts[i]], marks=marks)
                if single is None:
                    raise EngineFailure(f"apertium {mode}: output does not line up with the input")
                found.extend(single)
        outputs = list(texts)
        for i, translation in zip(todo, found):
            outputs[i] = translation
        return outputs

    def _call(self, mode: str, texts: list[str], *, marks: bool = False) -> list[str] | None:
        """One ``apertium`` process for ``texts`` (marked with ``marks`` or ``mark_unknown``); None when the
        output blocks are not one per input."""
        document = "\n".join(f'<p data-i="{i}">{html.escape(text.replace(chr(0), ""), quote=False)}</p>'
                             for i, text in enumerate(texts)) + "\n"
        argv = [self.command, *([] if marks or self.mark_unknown else ["-u"]), "-f", "html-noent", mode]
        timeout_s = self.timeout_s + self.seconds_per_char * len(document)
        self.process_calls += 1
        try:
            done = subprocess.run(argv, input=document, capture_output=True, text=True, encoding="utf-8",
                                  errors="replace", timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise EngineFailure(f"apertium {mode}: no answer within {timeout_s:.0f} s") from None
        except OSError as exc:
            raise EngineFailure(f"apertium {mode}: cannot run {self.command!r} ({exc})") from None
        if done.returncode != 0:
            raise EngineFailure(f"apertium {mode} exited with {done.returncode}: {done.stderr.strip()[:300]}")
        blocks = _BLOCK.findall(done.stdout)
        if [int(i) for i, _ in blocks] != list(range(len(texts))):
            return None
        return [html.unescape(body) for _, body in blocks]
