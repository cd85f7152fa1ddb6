"""The translation worker: finals never dropped, partials superseded, errors reported, work off the caller."""

from __future__ import annotations

import threading
from collections import defaultdict

import pytest

from models.translation.engine import UnknownLanguage
from models.translation.translator import Translator
from models.translation.worker import TranslationJob, TranslationWorker

pytest_plugins = ["translation_fixtures"]

LINES = ["The meeting is open.", "Member States shall vote on the draft resolution.",
         "I give the floor to the representative of France.", "The Commission adopted its report."]


class Collector:
    def __init__(self) -> None:
        self.results: list[tuple[TranslationJob, dict]] = []
        self.errors: list[tuple[TranslationJob, BaseException]] = []
        self.threads: set[str] = set()
        self.lock = threading.Lock()

    def on_result(self, job, results) -> None:
        with self.lock:
            self.results.append((job, results))
            self.threads.add(threading.current_thread().name)

    def on_error(self, job, exc) -> None:
        with self.lock:
            self.errors.append((job, exc))


def job(text: str, *, final: bool, session: str = "s1", channel: str = "floor", segment: int = 0,
        src: str = "en", targets: tuple[str, ...] = ("fr", "es")) -> TranslationJob:
    return TranslationJob(session, channel, text, src, targets, final, segment_id=segment)


@pytest.fixture()
def translator(argos_data_dir) -> Translator:
    return Translator(argos_data_dir, {})


def test_a_burst_of_finals_is_translated_in_full_and_in_order(translator):
    collector = Collector()
    worker = TranslationWorker(translator, on_result=collector.on_result, on_error=collector.on_error, threads=2)
    worker.start()
    try:
        for i in range(120):
            worker.submit_final(job(f"{LINES[i % 4]} ({i})", final=True, channel=f"booth-{i % 3}", segment=i))
        assert worker.wait_idle(60)
    finally:
        worker.stop()
    assert not collector.errors
    assert sorted(j.segment_id for j, _ in collector.results) == list(range(120))
    by_stream = defaultdict(list)
    for j, results in collector.results:
        by_stream[j.stream].append(j.segment_id)
        assert set(results) == {"fr", "es"} and results["fr"].translated
    assert all(ids == sorted(ids) for ids in by_stream.values())
    counters = worker.counters()
    assert (counters.queued, counters.done, counters.failed, counters.dropped_partials) == (120, 120, 0, 0)
    assert threading.current_thread().name not in collector.threads


def test_only_the_newest_partial_per_stream_is_translated(translator):
    collector = Collector()
    worker = TranslationWorker(translator, on_result=collector.on_result, on_error=collector.on_error)
    for i in range(30):  # the worker is behind (not started yet): partials pile up
        worker.submit_partial(job(" ".join(LINES[0].split()[: 1 + i % 5]) + f" {i}", final=False, segment=1))
        worker.submit_partial(job(f"Partial {i}", final=False, channel="booth-fr", segment=1))
    worker.submit_partial(job("Partial of stream three", final=False, session="s2", segment=1))
    counters = worker.counters()
    assert (counters.pending_partials, counters.dropped_partials) == (3, 58)
    worker.start()
    try:
        assert worker.wait_idle(30)
    finally:
        worker.stop()
    texts = sorted(j.text for j, _ in collector.results)
    assert texts == sorted([" ".join(LINES[0].split()[:5]) + " 29", "Partial 29", "Partial of stream three"])


def test_a_final_supersedes_the_waiting_partial_of_its_stream_and_goes_first(translator):
    collector = Collector()
    worker = TranslationWorker(translator, on_result=collector.on_result, on_error=collector.on_error)
    worker.submit_partial(job("The meeting", final=False, segment=7))
    worker.submit_partial(job("Other booth partial", final=False, channel="booth-es", segment=3))
    worker.submit_final(job("The meeting is open.", final=True, segment=7))
    worker.start()
    try:
        assert worker.wait_idle(30)
    finally:
        worker.stop()
    assert [j.text for j, _ in collector.results] == ["The meeting is open.", "Other booth partial"]
    assert worker.counters().dropped_partials == 1


def test_errors_are_reported_and_the_worker_carries_on(translator):
    collector = Collector()

    def on_result(j, results):
        if j.text == "explode in the callback":
            raise RuntimeError("viewer gone")
        collector.on_result(j, results)

    worker = TranslationWorker(translator, on_result=on_result, on_error=collector.on_error)
    worker.start()
    try:
        worker.submit_final(job("Guten Tag", final=True, src="de"))
        worker.submit_final(job("explode in the callback", final=True))
        worker.submit_final(job("x" * 30_000, final=True))
        worker.submit_final(job("The meeting is open.", final=True))
        assert worker.wait_idle(30)
    finally:
        worker.stop()
    assert [type(exc).__name__ for _, exc in collector.errors] == ["UnknownLanguage", "RuntimeError", "TextTooLong"]
    assert isinstance(collector.errors[0][1], UnknownLanguage)
    assert [j.text for j, _ in collector.results] == ["The meeting is open."]
    counters = worker.counters()
    assert (counters.done, counters.failed) == (1, 3)


def test_stop_ends_the_threads(translator):
    worker = TranslationWorker(translator, on_result=lambda j, r: None, on_error=lambda j, e: None, threads=2)
    worker.start()
    worker.submit_final(job("The meeting is open.", final=True))
    worker.stop(drain=True)
    assert worker.counters().done == 1
    assert not any(t.is_alive() for t in worker._threads)
