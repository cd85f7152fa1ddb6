"""The one thread that writes live captions to the store, in group commits.

``submit`` never blocks the event loop and never drops a final. The thread
takes everything queued since its last commit and writes it in one
transaction, so a busy room costs one commit per batch, not per caption, and
storage never slows recognition. Each submission's ``done`` callback runs
after its commit (on the writer thread; callers hop back to their loop).

If the database fails, the batch is retried with back-off; after
``max_attempts`` its items are written one by one, so one item the database
refuses blocks no other. Callbacks of items still refused are told
``stored=False`` (live captions must keep flowing to viewers) and those items
stay in a backlog that is retried with every later batch until it is written.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from captions_store.records import SegmentIn, TranslationIn
from captions_store.store import Store, StoreError

__all__ = ["StoreWriter", "WriterStats"]

log = logging.getLogger(__name__)
Done = Callable[[bool], None]


@dataclass
class _Item:
    segments: list[SegmentIn]
    translations: list[TranslationIn]
    done: Done | None


@dataclass
class WriterStats:
    batches: int = 0
    items: int = 0
    largest_batch: int = 0
    failures: int = 0
    backlog: int = 0
    commit_s: list[float] = field(default_factory=list)  # last 1,000 commit durations


class StoreWriter:
    def __init__(self, store: Store, *, max_batch: int = 1000, max_attempts: int = 3,
                 retry_s: float = 0.2, on_commit_s: Callable[[float], None] | None = None) -> None:
        self._store = store
        self._on_commit_s = on_commit_s  # told each commit's duration (metrics), on the writer thread
        self._max_batch = max_batch
        self._max_attempts = max_attempts
        self._retry_s = retry_s
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._backlog: list[_Item] = []
        self._unwritten = 0  # submitted items not yet committed
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self.stats = WriterStats()

    def start(self) -> "StoreWriter":
        self._thread.start()
        return self

    def submit(self, segments: list[SegmentIn], translations: list[TranslationIn] = (),
               done: Done | None = None) -> None:
        with self._changed:
            self._unwritten += 1
        self._queue.put(_Item(list(segments), list(translations), done))

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def pending(self) -> int:
        """Submitted items not committed yet."""
        with self._changed:
            return self._unwritten

    def wait_idle(self, timeout_s: float | None = None) -> bool:
        """True once everything submitted so far is committed."""
        with self._changed:
            return self._changed.wait_for(lambda: self._unwritten == 0, timeout_s)

    def stop(self, timeout_s: float = 30.0) -> None:
        """Write what is queued, then end the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout_s)

    # -- writer thread -----------------------------------------------------------------
    def _run(self) -> None:
        stopping = False
        while not stopping:
            batch, stopping = self._take()
            if batch or self._backlog:
                self._write(batch)

    def _take(self) -> tuple[list[_Item], bool]:
        """Block for the first item (or 1 s while a backlog waits), then take whatever else is queued."""
        try:
            first = self._queue.get(timeout=1.0 if self._backlog else None)
        except queue.Empty:
            return [], False
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _write(self, batch: list[_Item]) -> None:
        items = self._backlog + batch
        segments = [s for item in items for s in item.segments]
        translations = [t for item in items for t in item.translations]
        for attempt in range(1, self._max_attempts + 1):
            started = time.perf_counter()
            try:
                self._store.write_batch(segments, translations)
            except StoreError as exc:
                self.stats.failures += 1
                log.error("store write of %d segments failed (attempt %d): %s", len(segments), attempt, exc)
                time.sleep(self._retry_s * attempt)
                continue
            self._record(items, time.perf_counter() - started)
            self._backlog = []
            self.stats.backlog = 0
            self._notify(items, True)
            self._written(len(items))
            return
        self._write_one_by_one(items)

    def _write_one_by_one(self, items: list[_Item]) -> None:
        """A batch the database keeps refusing: write its items alone, so one bad item blocks no other."""
        failed: list[_Item] = []
        for item in items:
            try:
                self._store.write_batch(item.segments, item.translations)
            except StoreError as exc:
                log.error("store refused %d segments: %s", len(item.segments), exc)
                failed.append(item)
                continue
            self._notify([item], True)
            self._written(1)
        self._backlog = failed
        self.stats.backlog = len(failed)
        self._notify(failed, False)  # viewers still get them; they stay in the backlog until written
        for item in failed:
            item.done = None

    def _written(self, count: int) -> None:
        with self._changed:
            self._unwritten -= count
            self._changed.notify_all()

    def _record(self, items: list[_Item], seconds: float) -> None:
        self.stats.batches += 1
        self.stats.items += len(items)
        self.stats.largest_batch = max(self.stats.largest_batch, len(items))
        self.stats.commit_s = (self.stats.commit_s + [seconds])[-1000:]
        if self._on_commit_s is not None:
            self._on_commit_s(seconds)

    @staticmethod
    def _notify(items: list[_Item], stored: bool) -> None:
        for item in items:
            if item.done is not None:
                try:
                    item.done(stored)
                except Exception:  # a caller's callback must not stop the writer
                    log.exception("store writer callback failed")
