"""Run one channel's :class:`StreamingRecognizer` in its own thread.

The event loop hands audio over with :meth:`ChannelWorker.offer` (never
blocks; returns False when the bounded queue is full so the ingest handler can
apply back-pressure) and receives caption events through ``on_events``, called
from the worker thread. Decoding happens here, never on the event loop. When
audio queues up faster than it is recognised, the recogniser is told so and
skips partial decodes; every final is still produced.
"""

from __future__ import annotations

import logging
import queue
import threading
from typing import Callable

import numpy as np

from models.cpu_priority import lower_this_thread
from models.recognizer.events import RecognizedCaption, RecognizerStats
from models.recognizer.streamer import StreamingRecognizer

__all__ = ["ChannelWorker"]

log = logging.getLogger(__name__)
_FLUSH = object()


class ChannelWorker:
    def __init__(self, recognizer: StreamingRecognizer, *, on_events: Callable[[list[RecognizedCaption]], None],
                 on_error: Callable[[BaseException], None], max_queued_s: float = 30.0, name: str = "channel",
                 nice: int = 0) -> None:
        self.recognizer = recognizer
        self._nice = nice
        self._on_events = on_events
        self._on_error = on_error
        self._queue: queue.Queue = queue.Queue()
        self._queued_samples = 0
        self._max_samples = int(max_queued_s * 16_000)
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._thread = threading.Thread(target=self._run, name=f"asr-{name}", daemon=True)
        self._stopped = False
        self.failed: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    @property
    def queued_s(self) -> float:
        return self._queued_samples / 16_000

    @property
    def decoded_s(self) -> float:
        """Stream seconds the recogniser has taken in (what is still queued not counted)."""
        return self.recognizer.now_s

    @property
    def stats(self) -> RecognizerStats:
        return self.recognizer.stats

    @property
    def segments_done(self) -> int:
        return self.recognizer.segments_done

    def offer(self, audio: np.ndarray) -> bool:
        """Queue 16 kHz mono samples; False (nothing queued) when the queue is full."""
        with self._lock:
            if self._queued_samples and self._queued_samples + len(audio) > self._max_samples:
                return False
            self._queued_samples += len(audio)
            self._idle.clear()
        self._queue.put(audio)
        return True

    def flush(self) -> None:
        """Finalise the open utterance once all queued audio is recognised."""
        self._idle.clear()
        self._queue.put(_FLUSH)

    def stop(self) -> None:
        self._stopped = True
        self._queue.put(None)

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        return self._idle.wait(timeout_s)

    def join(self, timeout_s: float | None = None) -> None:
        self._thread.join(timeout_s)

    def _run(self) -> None:
        lower_this_thread(self._nice)  # below the event loop: see models.cpu_priority
        while True:
            item = self._queue.get()
            if item is None:
                self._idle.set()
                return
            try:
                if item is _FLUSH:
                    events = self.recognizer.flush()
                else:
                    with self._lock:
                        self._queued_samples -= len(item)
                    more = self._queue.qsize() > 0
                    events = self.recognizer.feed(item, more_pending=more)
                if events:
                    self._on_events(events)
            except Exception as exc:  # surfaced to the session, which closes the ingest with 1011
                log.exception("recogniser failed")
                self.failed = exc
                self._on_error(exc)
                self._idle.set()
                return
            if self._queue.qsize() == 0:
                self._idle.set()
