"""English from the speech itself, for floor languages no text engine translates into English.

Whisper translates speech to English (``task="translate"``). When a final's
language has no route into English here (Russian, Arabic, Chinese on this
machine), its audio is decoded a second time, by a model of its own in one
thread below the live recogniser's priority, and the English line goes out as
that final's translation (engine ``whisper-translate``); from the English line
the text engines reach the other languages that lack a route from the floor
(``whisper-translate+apertium``, route ``pivot`` via ``en``).

The final itself never waits for this: it is shown and stored first, and the
second decode is a job in a bounded queue. When the queue is full (the
machine is behind), the job is refused and its languages get the original
line marked untranslated, as they would without speech translation.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from models.cpu_priority import lower_this_thread
from models.recognizer.decoder import WhisperDecoder
from models.translation.translator import TranslationResult, Translator
from service.protocol import FinalEvent

__all__ = ["SpeechJob", "SpeechTranslation", "ENGINE", "speech_targets"]

log = logging.getLogger(__name__)
ENGINE = "whisper-translate"


def speech_targets(src: str, targets: Sequence[str], routes: Mapping[tuple[str, str], str]) -> tuple[str, ...]:
    """The targets a speech translation serves: English, when nothing translates ``src`` into it, and the
    languages without a route from ``src`` that English reaches."""
    if src == "en" or routes.get((src, "en"), "none") != "none":
        return ()
    return tuple(t for t in targets if t == "en" or (routes.get((src, t), "none") == "none"
                                                     and routes.get(("en", t), "none") != "none"))


@dataclass
class SpeechJob:
    source: FinalEvent  # the final as sent to viewers
    audio: np.ndarray
    targets: tuple[str, ...]
    deliver: Callable[[FinalEvent, dict[str, TranslationResult]], None]  # on the event loop
    glossary: Mapping[str, Mapping[str, str]] | None = None
    submitted_at_s: float = field(default_factory=time.monotonic)


class SpeechTranslation:
    def __init__(self, decoder: WhisperDecoder, translator: Translator, *, max_jobs: int = 4,
                 beam_size: int = 1, nice: int = 0) -> None:
        self.decoder = decoder
        self.translator = translator
        self.beam_size = beam_size
        self._nice = nice
        self._queue: queue.Queue[SpeechJob | None] = queue.Queue(maxsize=max_jobs)
        self._idle = threading.Event()
        self._idle.set()
        self._busy = 0
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="speech-translation", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self.refused = 0  # jobs refused because the queue was full
        self.busy_s = 0.0  # decoder time spent
        self.latencies_s: list[float] = []  # submit -> result (last 1,000)

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        try:
            self._queue.put(None, timeout=timeout_s)
        except queue.Full:
            return
        self._thread.join(timeout_s)

    def submit(self, job: SpeechJob) -> bool:
        """Queue a job (never blocks); False when the queue is full."""
        with self._lock:
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                self.refused += 1
                return False
            self._busy += 1
            self._idle.clear()
        return True

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        return self._idle.wait(timeout_s)

    def english(self, audio: np.ndarray, src: str, glossary: Mapping[str, Mapping[str, str]] | None) -> str:
        """The English of the speech; glossary terms' English renderings condition the decoder."""
        terms = [renderings.get("en", term) for term, renderings in (glossary or {}).items()]
        encoded = self.decoder.encode(audio)
        hyp = self.decoder.decode(encoded, language=src, prompt=", ".join(terms), beam_size=self.beam_size,
                                  task="translate")
        return " ".join(hyp.text.split())

    def results(self, job: SpeechJob) -> dict[str, TranslationResult]:
        started = time.perf_counter()
        english = self.english(job.audio, job.source.lang, job.glossary)
        self.busy_s += time.perf_counter() - started
        if not english:  # nothing came out: the original, marked untranslated
            return {t: TranslationResult(job.source.text, None, None, False, "none") for t in job.targets}
        out = {"en": TranslationResult(english, ENGINE, self.decoder.name, True, "direct")}
        onward = [t for t in job.targets if t != "en"]
        if onward:
            for lang, result in self.translator.translate(english, "en", onward, glossary=job.glossary).items():
                engine = f"{ENGINE}+{result.engine}" if result.translated and result.engine else result.engine
                out[lang] = TranslationResult(result.text if result.translated else job.source.text, engine,
                                              result.model_version, result.translated,
                                              "pivot" if result.translated else "none", via="en", error=result.error)
        return {t: out[t] for t in job.targets}

    def _run(self) -> None:
        lower_this_thread(self._nice)  # below the live recogniser: it only takes what the floor leaves
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                results = self.results(job)
            except Exception as exc:  # a failed decode must not end the worker: the original, marked
                log.error("speech translation of %s failed: %r", job.source.segment_id, exc)
                results = {t: TranslationResult(job.source.text, None, None, False, "none", error=str(exc))
                           for t in job.targets}
            self.latencies_s = (self.latencies_s + [time.monotonic() - job.submitted_at_s])[-1000:]
            self._loop.call_soon_threadsafe(job.deliver, job.source, results)
            with self._lock:
                self._busy -= 1
                if self._busy == 0:
                    self._idle.set()
