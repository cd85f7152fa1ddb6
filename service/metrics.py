"""Prometheus metrics of one app, served at ``/metrics``.

Each app has its own :class:`~prometheus_client.CollectorRegistry` (tests run
several apps in one process). Durations are observed where the work is done:

    floorcast_recognition_decode_seconds{kind}   one decode (encode, language id, decode; waiting
                                                 for the shared model included); kind partial|final
    floorcast_translation_latency_seconds        a final handed to translation -> its translations back
    floorcast_store_commit_seconds               one group commit of the store writer

Everything else is read from ``app.state`` when ``/metrics`` is scraped (see
:class:`_StateCollector`), so no gauge can drift from what it describes and
the hot paths only bump plain integers.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Iterator

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.exposition import choose_encoder
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = ["ServiceMetrics", "TimedDecoder"]

_DECODE_BUCKETS_S = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)
_TRANSLATION_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0)
_OUTPUT_LAG_BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
_COMMIT_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class ServiceMetrics:
    """The metrics of one app; ``state`` is its ``app.state``, read at scrape time."""

    def __init__(self, state: Any) -> None:
        self.registry = CollectorRegistry()
        self.decode_s = Histogram("floorcast_recognition_decode_seconds",
                                  "Wall time of one decode of an utterance (encode, language id, decode)",
                                  ["kind"], buckets=_DECODE_BUCKETS_S, registry=self.registry)
        self.translation_latency_s = Histogram("floorcast_translation_latency_seconds",
                                               "From a final handed to translation to its translations",
                                               buckets=_TRANSLATION_BUCKETS_S, registry=self.registry)
        self.store_commit_s = Histogram("floorcast_store_commit_seconds", "Duration of one group commit",
                                        buckets=_COMMIT_BUCKETS_S, registry=self.registry)
        self.output_lag_s = Histogram("floorcast_output_lag_seconds",
                                      "Caption outputs: a final released to viewers -> accepted by the destination",
                                      ["kind"], buckets=_OUTPUT_LAG_BUCKETS_S, registry=self.registry)
        self.registry.register(_StateCollector(state))

    def output_delivered(self, delivery: Any, lag_s: float) -> None:
        self.output_lag_s.labels(delivery.record.kind).observe(lag_s)

    def timed(self, decoder: Any) -> "TimedDecoder":
        return TimedDecoder(decoder, self.decode_s)

    def render(self, accept: str | None) -> tuple[bytes, str]:
        """The exposition format the scraper asks for (``Accept``): Prometheus text or OpenMetrics."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type


class TimedDecoder:
    """The shared decoder with each decode timed, from ``encode`` to the end of ``decode``.

    A recogniser calls ``encode``, maybe ``language_probs``, then ``decode`` on its own
    thread; ``word_timestamps`` is asked for finals only. Everything else is the decoder's.
    """

    def __init__(self, decoder: Any, histogram: Histogram) -> None:
        self._decoder = decoder
        self._histogram = histogram
        self._started = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._decoder, name)

    def encode(self, *args: Any, **kwargs: Any) -> Any:
        self._started.at_s = time.perf_counter()
        return self._decoder.encode(*args, **kwargs)

    def decode(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return self._decoder.decode(*args, **kwargs)
        finally:
            started_s = getattr(self._started, "at_s", None)
            if started_s is not None:
                kind = "final" if kwargs.get("word_timestamps") else "partial"
                self._histogram.labels(kind).observe(time.perf_counter() - started_s)
                self._started.at_s = None


class _StateCollector(Collector):
    """Gauges and counters read from the app's registry, broker, translation and writer."""

    def __init__(self, state: Any) -> None:
        self._state = state

    def describe(self) -> list[Metric]:
        return []  # nothing to read before the app has started

    def collect(self) -> Iterator[Metric]:
        state = self._state
        registry = getattr(state, "registry", None)
        broker = getattr(state, "broker", None)
        translation = getattr(state, "translation", None)
        writer = getattr(state, "writer", None)
        sessions = registry.all() if registry is not None else []
        yield from _recognition(sessions)
        if broker is not None:
            yield from _fanout(broker)
        dropped = CounterMetricFamily("floorcast_dropped_partials",
                                      "Partials dropped under load (recognizer: sessions in memory)", labels=["where"])
        dropped.add_metric(["viewer"], broker.dropped_partials if broker is not None else 0)
        dropped.add_metric(["recognizer"], sum(c.public().partials_skipped for s in sessions
                                               for c in s.channels.values()))
        counters = translation.worker.counters() if translation is not None else None
        dropped.add_metric(["translation"], counters.dropped_partials if counters else 0)
        yield dropped
        pending = GaugeMetricFamily("floorcast_translation_pending", "Translation jobs waiting", labels=["kind"])
        pending.add_metric(["final"], counters.pending_finals if counters else 0)
        pending.add_metric(["partial"], counters.pending_partials if counters else 0)
        yield pending
        backlog = GaugeMetricFamily("floorcast_store_writer_backlog",
                                    "Store writes not committed yet: pending (queued) or refused (being retried)",
                                    labels=["state"])
        backlog.add_metric(["pending"], writer.pending if writer is not None else 0)
        backlog.add_metric(["refused"], writer.stats.backlog if writer is not None else 0)
        yield backlog
        outputs = getattr(state, "outputs", None)
        if outputs is not None:
            yield from _outputs(outputs.all())


def _outputs(deliveries: list) -> Iterator[Metric]:
    """Per caption output delivered here: captions by result, retries, skipped corrections, queue, last lag."""
    labels = ["session", "output", "kind", "language"]
    captions = CounterMetricFamily("floorcast_output_captions", "Captions an output delivered or failed",
                                   labels=[*labels, "result"])
    retries = CounterMetricFamily("floorcast_output_retries", "Posts tried again", labels=labels)
    skipped = CounterMetricFamily("floorcast_output_corrections_skipped", "Corrections not re-sent", labels=labels)
    queued = GaugeMetricFamily("floorcast_output_queued", "Captions waiting for the destination", labels=labels)
    lag = GaugeMetricFamily("floorcast_output_last_lag_seconds", "Release -> accepted, last post", labels=labels)
    for d in deliveries:
        key = [d.record.session_id, d.record.id, d.record.kind, d.record.language]
        captions.add_metric([*key, "delivered"], d.delivered)
        captions.add_metric([*key, "failed"], d.failed)
        retries.add_metric(key, d.retries)
        skipped.add_metric(key, d.corrections_skipped)
        queued.add_metric(key, d.queued)
        if d.lag_s is not None:
            lag.add_metric(key, d.lag_s)
    yield from (captions, retries, skipped, queued, lag)


def _recognition(sessions: list) -> Iterator[Metric]:
    live = GaugeMetricFamily("floorcast_live_sessions", "Sessions that are live")
    live.add_metric([], sum(s.status == "live" for s in sessions))
    streams = GaugeMetricFamily("floorcast_ingest_streams", "Channels with an ingest client streaming audio")
    queued = GaugeMetricFamily("floorcast_audio_queued_seconds", "Audio waiting for a channel's recogniser",
                               labels=["session", "channel"])
    factor = GaugeMetricFamily("floorcast_recognition_real_time_factor",
                               "Busy time per second of audio of a streaming channel", labels=["session", "channel"])
    audio = CounterMetricFamily("floorcast_recognition_audio_seconds", "Audio recognised, sessions in memory")
    busy = CounterMetricFamily("floorcast_recognition_busy_seconds", "Time spent decoding, sessions in memory")
    rejected = CounterMetricFamily("floorcast_recognition_rejected_utterances",
                                   "Utterances dropped whole as hallucinations, by reason (sessions in memory)",
                                   labels=["session", "channel", "reason"])
    audio_s = busy_s = 0.0
    streaming = 0
    for session in sessions:
        for channel in session.channels.values():
            numbers = channel.public()
            audio_s += numbers.audio_s
            busy_s += numbers.busy_s
            for reason, count in numbers.rejected_reasons.items():
                rejected.add_metric([session.id, channel.spec.name, reason], count)
            worker = channel.worker
            if worker is None:
                continue
            streaming += 1
            queued.add_metric([session.id, channel.spec.name], worker.queued_s)
            factor.add_metric([session.id, channel.spec.name], worker.stats.busy_per_audio_s)
    streams.add_metric([], streaming)
    audio.add_metric([], audio_s)
    busy.add_metric([], busy_s)
    yield from (live, streams, queued, factor, audio, busy, rejected)


def _fanout(broker: Any) -> Iterator[Metric]:
    viewers = broker.viewers()
    count = GaugeMetricFamily("floorcast_viewers", "Open captions websockets")
    count.add_metric([], len(viewers))
    deepest = GaugeMetricFamily("floorcast_viewer_queue_max_events", "Events waiting in the fullest viewer queue")
    deepest.add_metric([], max((v.queue.qsize() for v in viewers), default=0))
    published = CounterMetricFamily("floorcast_caption_events_published", "Events published to viewers, by type",
                                    labels=["type"])
    for kind, number in sorted(broker.published.items()):
        published.add_metric([kind], number)
    yield from (count, deepest, published)
