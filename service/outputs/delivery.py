"""One output's delivery: an ordered queue, one post at a time, retries that keep the sequence number.

Captions leave in the order they were released to viewers. ``seq`` (the
platforms' counter) grows by one for each new post and stays the same when a
post is tried again, so the receiver sees 1, 2, 3 … with repeats, never a gap
or a step back. A post that fails with no answer, a 5xx, 408 or 429 (and, for
Zoom, any code — its documentation asks for that) is tried again after a
randomised, doubling wait capped at ``output_retry_max_s``; other refusals
count the caption as failed and delivery goes on with the next one.

The queue is bounded: while a destination is away the oldest waiting caption
is dropped (and counted failed) beyond ``output_queue_captions``. Delivery runs
in its own task with its own timeout, so a dead destination slows nothing but
itself. Progress (``seq``, the last session event dealt with, the counts) is
saved after every post, so after a restart the next post continues the
numbering; a post in flight when the process died is sent again with the same
``seq``, which is what the platforms call a retry.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import deque
from dataclasses import dataclass
from typing import Awaitable, Callable

import httpx

from captions_store.records import OutputProgress, OutputRecord
from service.outputs.destinations import (YOUTUBE_BATCH, Caption, PostRequest, masked, retryable, server_time,
                                          webhook_request, youtube_request, zoom_request)
from service.viewer_filter import ViewerChoice

__all__ = ["RetryPolicy", "OutputDelivery"]

log = logging.getLogger(__name__)
_ERROR_MAX = 200


@dataclass(frozen=True)
class RetryPolicy:
    base_s: float = 0.25
    max_s: float = 5.0
    timeout_s: float = 10.0
    queue_captions: int = 500

    def delay(self, attempt: int) -> float:
        """Randomised binary exponential back-off: a wait in [d/2, d], d doubling from ``base_s`` to ``max_s``."""
        ceiling = min(self.max_s, self.base_s * 2 ** min(attempt, 30))
        return random.uniform(ceiling / 2, ceiling)


class OutputDelivery:
    def __init__(self, record: OutputRecord, choice: ViewerChoice, *, client: httpx.AsyncClient,
                 policy: RetryPolicy, save: Callable[[str, OutputProgress], Awaitable[None]],
                 on_delivered: Callable[["OutputDelivery", float], None] | None = None) -> None:
        self.record = record
        self.choice = choice
        self.seq, self.through_seq = record.seq, record.through_seq
        self.delivered, self.failed, self.last_error = record.delivered, record.failed, record.last_error
        self.retries = 0
        self.corrections_skipped = 0
        self.lag_s: float | None = None  # release to viewers -> accepted by the destination, last post
        self.state = "idle"  # idle | sending | retrying | ended | stopped
        self._client = client
        self._policy = policy
        self._save = save
        self._on_delivered = on_delivered
        self._queue: deque[Caption] = deque()
        self._held: list[Caption] | None = None  # while catching up from the store: live captions wait here
        self._last_offered = record.through_seq
        self._wake = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task | None = None
        self._clock_offset_s = 0.0  # the destination's clock minus ours (YouTube answers with its time)
        self._last_time = 0.0  # the newest caption time posted (YouTube's clock)

    # -- fed on the event loop; never blocks ----------------------------------------------------------
    @property
    def queued(self) -> int:
        return len(self._queue) + len(self._held or ())

    def hold(self) -> None:
        self._held = []

    def release(self, earlier: list[Caption]) -> None:
        """End of catch-up: ``earlier`` (from the store) go first, then what arrived live meanwhile."""
        held, self._held = self._held or [], None
        for caption in sorted(earlier, key=lambda c: c.seq) + held:
            self.offer(caption)

    def offer(self, caption: Caption) -> None:
        if self._held is not None:
            self._held.append(caption)
            return
        if caption.seq <= self._last_offered or self.state == "stopped":
            return  # seen already (a catch-up overlapping live events)
        self._last_offered = caption.seq
        if len(self._queue) >= self._policy.queue_captions:
            self._queue.popleft()
            self.failed += 1
            self.last_error = f"queue full ({self._policy.queue_captions} captions): oldest dropped"
        self._queue.append(caption)
        self._wake.set()

    def skip_correction(self) -> None:
        self.corrections_skipped += 1  # platforms cannot edit a caption already shown

    # -- life -------------------------------------------------------------------------------------------
    def start(self) -> "OutputDelivery":
        self._task = asyncio.create_task(self._run(), name=f"output-{self.record.id}")
        return self

    def finish(self) -> None:
        """The session ended: send what is queued, then stop."""
        self._closing = True
        self._wake.set()

    async def finished(self) -> None:
        if self._task is not None:
            await asyncio.shield(self._task)

    async def stop(self, state: str = "stopped") -> None:
        """Stop now (deleted, or shutting down); what is queued stays undelivered."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self.state = state
        await self._save_progress()

    # -- the task ------------------------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            if not self._queue:
                if self._closing:
                    break
                self.state = "idle"
                self._wake.clear()
                await self._wake.wait()
                continue
            batch = self._take()
            await self._post(batch, self.seq + 1)
            self.seq += 1
            self.through_seq = batch[-1].seq
            await self._save_progress()
        self.state = "ended"

    def _take(self) -> list[Caption]:
        count = YOUTUBE_BATCH if self.record.kind == "youtube" else 1
        return [self._queue.popleft() for _ in range(min(count, len(self._queue)))]

    def _request(self, batch: list[Caption], seq: int) -> PostRequest:
        r = self.record
        if r.kind == "zoom":
            return zoom_request(r.url, seq, r.language, batch[0])
        if r.kind == "youtube":
            times = []
            for caption in batch:  # on YouTube's clock, and never earlier than the caption before
                self._last_time = max(self._last_time, caption.spoken_at + self._clock_offset_s)
                times.append(self._last_time)
            return youtube_request(r.url, seq, batch, times)
        return webhook_request(r.url, seq, r.id, r.secret, batch[0])

    async def _post(self, batch: list[Caption], seq: int) -> None:
        request = self._request(batch, seq)  # built once: a retry sends the very same post
        attempt = 0
        while True:
            self.state = "sending" if attempt == 0 else "retrying"
            status, error = await self._send(request)
            if error is None:
                self.delivered += len(batch)
                self.last_error = ""
                published = batch[-1].event.get("published_at")
                if isinstance(published, (int, float)):
                    self.lag_s = round(max(0.0, time.time() - published), 3)
                    if self._on_delivered is not None:
                        self._on_delivered(self, self.lag_s)
                return
            self.last_error = error
            if not retryable(self.record.kind, status):
                self.failed += len(batch)
                log.warning("output %s refused seq %d: %s", self.record.id, seq, error)
                return
            self.retries += 1
            await asyncio.sleep(self._policy.delay(attempt))
            attempt += 1

    async def _send(self, request: PostRequest) -> tuple[int | None, str | None]:
        sent_at = time.time()
        try:
            response = await self._client.post(request.url, content=request.body, headers=request.headers,
                                                timeout=self._policy.timeout_s)
        except httpx.HTTPError as exc:
            return None, self._clean(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        if 200 <= response.status_code < 300:
            answered = server_time(response.content) if self.record.kind == "youtube" else None
            if answered is not None:
                self._clock_offset_s = answered - (sent_at + time.time()) / 2
            return response.status_code, None
        return response.status_code, self._clean(f"HTTP {response.status_code} {response.text[:120]}".strip())

    def _clean(self, message: str) -> str:
        """An error as shown to staff: never the URL's secrets, no line breaks."""
        message = message.replace(self.record.url, masked(self.record.url))
        return " ".join(message.split())[:_ERROR_MAX]

    async def _save_progress(self) -> None:
        progress = OutputProgress(seq=self.seq, through_seq=self.through_seq, delivered=self.delivered,
                                  failed=self.failed, last_error=self.last_error)
        try:
            await self._save(self.record.id, progress)
        except Exception as exc:  # the store is away: delivery goes on, the next save catches up
            log.warning("output %s: progress not saved (%s)", self.record.id, exc)
