"""Live translation of a session's captions: finals (always) and partials (when the session asks).

The event loop only hands jobs to a :class:`TranslationWorker` and returns;
translation runs in the worker's threads. Results come back to the loop,
where the session gives each target language its own event (same
``segment_id``, ``lang`` = target, ``source_lang`` = what was spoken,
``translated`` false when no model covers the direction) and the store
commits the translations before viewers see them.

Only channels without a fixed language (the floor) are translated: a booth
already is a human translation, and viewers of its language get it first.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Mapping

from models.translation.engine import TranslationError
from models.translation.translator import TranslationResult, Translator
from models.translation.worker import TranslationJob, TranslationWorker
from service.protocol import FinalEvent, PartialEvent
from service.speech_translation import SpeechJob, SpeechTranslation, speech_targets

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from captions_store.records import SegmentRecord

__all__ = ["LiveTranslation", "TranslationRequest", "PARTIAL_INTERVAL_S"]

log = logging.getLogger(__name__)
PARTIAL_INTERVAL_S = 1.5  # at most one partial per stream is translated in this interval

Deliver = Callable[[PartialEvent | FinalEvent, dict[str, TranslationResult]], None]


@dataclass(frozen=True)
class TranslationRequest:
    """What a session asks for one of its captions: plain data and a callback, no session object.

    ``deliver(source, results)`` runs on the event loop with one result per target language."""

    source: PartialEvent | FinalEvent
    targets: tuple[str, ...]
    deliver: Deliver
    glossary: Mapping[str, Mapping[str, str]] | None = None
    audio: "np.ndarray | None" = None  # a final's samples, for speech translation


class LiveTranslation:
    def __init__(self, translator: Translator, *, threads: int = 1,
                 on_final_latency_s: Callable[[float], None] | None = None, nice: int = 0) -> None:
        self.translator = translator
        self._on_final_latency_s = on_final_latency_s  # metrics; called on a worker thread
        self.worker = TranslationWorker(translator, on_result=self._on_result, on_error=self._on_error,
                                        threads=threads, name="translation", nice=nice)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._jobs: dict[int, tuple[Callable, object]] = {}  # id(job) -> (deliver on the loop, what it is about)
        self._last_partial_s: dict[tuple[str, str], float] = {}
        self._waiting_partial: dict[tuple[str, str], int] = {}  # stream -> id of its queued partial job
        self._coverage: list | None = None
        self._routes: dict[tuple[str, str], str] | None = None  # (src, tgt) -> route, from the same coverage
        self.latencies_s: list[float] = []  # submit -> result, finals only (last 1,000)
        self.speech: SpeechTranslation | None = None  # English from the audio (see service.speech_translation)

    def coverage(self) -> list:
        """The 30 directions with the engine and route that serve each (cached; installs call ``refresh``)."""
        if self._coverage is None:
            self._coverage = self.translator.status()
            self._routes = {(row.src, row.tgt): row.route for row in self._coverage}
        return self._coverage

    def warm_up(self) -> None:
        """Load every installed neural model once, so that the first final of a session does not wait for it."""
        rows = [row for row in self.coverage() if row.engine == "argos"]
        for src in sorted({row.src for row in rows}):
            self.translator.translate("Good morning.", src, [row.tgt for row in rows if row.src == src])

    def refresh(self) -> None:
        """Probe the engines again (off the loop: a server may take its timeout to answer) and swap the cache
        in one step, so the loop never finds it empty and never probes an engine itself."""
        for server in self.translator.router.engines_named("libretranslate"):
            server.refresh()  # ask the server for its languages again too
        coverage = self.translator.status()
        self._coverage, self._routes = coverage, {(row.src, row.tgt): row.route for row in coverage}

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.worker.start()
        if self.speech is not None:
            self.speech.start(loop)

    def stop(self) -> None:
        self.worker.stop(drain=True, timeout_s=10.0)
        if self.speech is not None:
            self.speech.stop()

    # -- the event loop's side ---------------------------------------------------------
    def final(self, request: TranslationRequest) -> None:
        source, targets = request.source, request.targets
        if not targets or not source.text:
            return
        audio = request.audio
        by_speech = self._by_speech(source.lang, targets) if audio is not None and len(audio) else ()
        if by_speech and self.speech.submit(SpeechJob(source, audio, by_speech, request.deliver,
                                                      glossary=request.glossary)):
            targets = tuple(t for t in targets if t not in by_speech)
        if targets:
            self._submit(request, targets, final=True)

    def _by_speech(self, src: str, targets: tuple[str, ...]) -> tuple[str, ...]:
        if self.speech is None:
            return ()
        if self._routes is None:
            self.coverage()
        return speech_targets(src, targets, self._routes)

    def wait_idle(self, timeout_s: float) -> None:
        """Until the text jobs, and the speech jobs, submitted so far are done."""
        self.worker.wait_idle(timeout_s)
        if self.speech is not None:
            self.speech.wait_idle(timeout_s)

    def partial(self, request: TranslationRequest) -> None:
        """At most one partial per stream every ``PARTIAL_INTERVAL_S``; a newer one supersedes a queued one."""
        source = request.source
        stream = (source.session_id, source.channel)
        now = time.monotonic()
        if now - self._last_partial_s.get(stream, 0.0) < PARTIAL_INTERVAL_S:
            return
        if request.targets and source.text:
            self._last_partial_s[stream] = now
            self._submit(request, request.targets, final=False)

    def correction(self, record: "SegmentRecord", targets: tuple[str, ...], glossary: Mapping | None,
                   store_translations: Callable) -> None:
        """Translate an edited segment again; ``store_translations(record, results)`` runs on the loop."""
        if not targets:
            return
        job = TranslationJob(session_id=record.session_id, channel=record.channel, text=record.text, src=record.lang,
                             targets=targets, final=True, segment_id=record.id, glossary=glossary)
        self._jobs[id(job)] = (store_translations, record)
        self.worker.submit_final(job)

    def _submit(self, request: TranslationRequest, targets: tuple[str, ...], *, final: bool) -> None:
        source = request.source
        job = TranslationJob(session_id=source.session_id, channel=source.channel, text=source.text, src=source.lang,
                             targets=targets, final=final, segment_id=source.segment_id, glossary=request.glossary)
        stream = (source.session_id, source.channel)
        superseded = self._waiting_partial.pop(stream, None)  # the worker drops it; forget it here too
        if superseded is not None:
            self._jobs.pop(superseded, None)
        if not final:
            self._waiting_partial[stream] = id(job)
        self._jobs[id(job)] = (request.deliver, source)
        (self.worker.submit_final if final else self.worker.submit_partial)(job)

    # -- worker threads ----------------------------------------------------------------
    def _on_result(self, job: TranslationJob, results: Mapping[str, TranslationResult]) -> None:
        if job.final:
            latency_s = time.monotonic() - job.submitted_at_s
            self.latencies_s = (self.latencies_s + [latency_s])[-1000:]
            if self._on_final_latency_s is not None:
                self._on_final_latency_s(latency_s)
        self._loop.call_soon_threadsafe(self._deliver, job, dict(results))

    def _on_error(self, job: TranslationJob, exc: BaseException) -> None:
        """A job that could not run at all (e.g. a language outside the six): the original, marked untranslated."""
        if not isinstance(exc, (TranslationError, ValueError)):
            log.error("translation of %s failed: %r", job.segment_id, exc,
                      extra={"session_id": job.session_id, "channel": job.channel})
        passthrough = {lang: TranslationResult(job.text, None, None, False, "none", error=str(exc))
                       for lang in job.targets}
        self._loop.call_soon_threadsafe(self._deliver, job, passthrough)

    def _deliver(self, job: TranslationJob, results: dict[str, TranslationResult]) -> None:
        entry = self._jobs.pop(id(job), None)
        stream = (job.session_id, job.channel)
        if self._waiting_partial.get(stream) == id(job):
            del self._waiting_partial[stream]
        if entry is None:  # a partial superseded before it ran never reports; a stale id is harmless
            return
        deliver, about = entry
        deliver(about, results)
