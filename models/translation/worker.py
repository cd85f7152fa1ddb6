"""Translate captions in background threads, never on the event loop and never in the recogniser's way.

The event loop hands over jobs and returns at once:

* :meth:`TranslationWorker.submit_final` queues a final caption; finals are never dropped, and are taken
  before any partial;
* :meth:`TranslationWorker.submit_partial` keeps only the newest partial per (session, channel): a newer one
  replaces the one still waiting, and a final for the same stream replaces it too. Partial slots are
  bounded by the number of live streams.

Results go to ``on_result(job, results)`` from a worker thread (the service wraps it with
``loop.call_soon_threadsafe``). A job that raises (an unknown language, a text over the limit, a failing
callback) goes to ``on_error(job, exc)`` and the worker carries on. Jobs of one stream never run at the same
time, so with several threads a stream's captions still come back in order.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable, Hashable, Mapping, Protocol, Sequence

from models.cpu_priority import lower_this_thread
from models.translation.glossary import Glossary
from models.translation.translator import TranslationResult

__all__ = ["TranslationJob", "TranslationWorker", "WorkerCounters", "SupportsTranslate"]

log = logging.getLogger(__name__)


class SupportsTranslate(Protocol):
    def translate(self, text: str, src: str, targets: Sequence[str],
                  glossary: Glossary | None = None) -> dict[str, TranslationResult]: ...


@dataclass(frozen=True)
class TranslationJob:
    session_id: str
    channel: str
    text: str
    src: str
    targets: tuple[str, ...]
    final: bool
    segment_id: Hashable | None = None
    glossary: Glossary | None = None
    submitted_at_s: float = field(default_factory=time.monotonic)

    @property
    def stream(self) -> tuple[str, str]:
        return self.session_id, self.channel


@dataclass(frozen=True)
class WorkerCounters:
    queued: int
    dropped_partials: int
    done: int
    failed: int
    pending_finals: int
    pending_partials: int
    running: int


class TranslationWorker:
    def __init__(self, translator: SupportsTranslate, *,
                 on_result: Callable[[TranslationJob, Mapping[str, TranslationResult]], None],
                 on_error: Callable[[TranslationJob, BaseException], None], threads: int = 1,
                 name: str = "translation", nice: int = 0) -> None:
        self.translator = translator
        self._nice = nice
        self._on_result = on_result
        self._on_error = on_error
        self._finals: deque[TranslationJob] = deque()
        self._partials: OrderedDict[tuple[str, str], TranslationJob] = OrderedDict()
        self._running: set[tuple[str, str]] = set()
        self._changed = threading.Condition()
        self._stopping = False
        self._threads = [threading.Thread(target=self._run, name=f"{name}-{i}", daemon=True) for i in range(threads)]
        self._queued = self._dropped = self._done = self._failed = 0

    # the event loop's side: never blocks for long

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def submit_final(self, job: TranslationJob) -> None:
        with self._changed:
            self._queued += 1
            if self._partials.pop(job.stream, None) is not None:
                self._dropped += 1
            self._finals.append(job)
            self._changed.notify()

    def submit_partial(self, job: TranslationJob) -> None:
        with self._changed:
            self._queued += 1
            if self._partials.pop(job.stream, None) is not None:
                self._dropped += 1
            self._partials[job.stream] = job
            self._changed.notify()

    def counters(self) -> WorkerCounters:
        with self._changed:
            return WorkerCounters(queued=self._queued, dropped_partials=self._dropped, done=self._done,
                                  failed=self._failed, pending_finals=len(self._finals),
                                  pending_partials=len(self._partials), running=len(self._running))

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """True once nothing is queued or running; False if ``timeout_s`` passed first."""
        with self._changed:
            return self._changed.wait_for(lambda: not (self._finals or self._partials or self._running), timeout_s)

    def stop(self, *, drain: bool = False, timeout_s: float = 10.0) -> None:
        """Stop the threads (after the queue is empty when ``drain``); jobs still waiting are discarded."""
        if drain:
            self.wait_idle(timeout_s)
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        for thread in self._threads:
            if thread.is_alive():
                thread.join(timeout_s)

    # the worker threads' side

    def _take(self) -> TranslationJob | None:
        """Under the lock: the oldest final whose stream is idle, else the oldest such partial."""
        for i, job in enumerate(self._finals):
            if job.stream not in self._running:
                del self._finals[i]
                return job
        for stream, job in self._partials.items():
            if stream not in self._running:
                del self._partials[stream]
                return job
        return None

    def _run(self) -> None:
        lower_this_thread(self._nice)  # below the event loop: see models.cpu_priority
        while True:
            with self._changed:
                job = None
                while not self._stopping and (job := self._take()) is None:
                    self._changed.wait()
                if self._stopping:
                    return
                self._running.add(job.stream)
            ok = self._process(job)
            with self._changed:
                self._running.discard(job.stream)
                if ok:
                    self._done += 1
                else:
                    self._failed += 1
                self._changed.notify_all()

    def _process(self, job: TranslationJob) -> bool:
        try:
            results = self.translator.translate(job.text, job.src, list(job.targets), job.glossary)
            self._on_result(job, results)
            return True
        except Exception as exc:  # one bad job must not end the worker: report it and go on
            try:
                self._on_error(job, exc)
            except Exception:
                log.exception("translation error callback failed for %s", job.stream)
            return False
