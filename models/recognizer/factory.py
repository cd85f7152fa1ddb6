"""One channel's recogniser and the worker thread that runs it, made from a session's settings.

The service says which policy (``vad`` or ``naive``), the channel's languages
and the glossary prompt; what a recogniser is made of stays in this package.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Literal

from models.recognizer.decoder import WhisperDecoder
from models.recognizer.events import RecognizedCaption
from models.recognizer.naive import NaiveRecognizer
from models.recognizer.streamer import RecognizerConfig, StreamingRecognizer
from models.recognizer.worker import ChannelWorker

__all__ = ["Policy", "recognizer_for", "start_worker"]

Policy = Literal["vad", "naive"]


def recognizer_for(decoder: WhisperDecoder, config: RecognizerConfig, policy: Policy = "vad", *,
                   allowed_languages: tuple[str, ...], fixed_language: str | None = None,
                   prompt: str = "") -> StreamingRecognizer | NaiveRecognizer:
    """A fresh recogniser for one channel: ``fixed_language`` for a booth, ``prompt`` the glossary terms."""
    config = replace(config, allowed_languages=allowed_languages, fixed_language=fixed_language, prompt=prompt)
    return NaiveRecognizer(decoder, config) if policy == "naive" else StreamingRecognizer(decoder, config)


def start_worker(recognizer: StreamingRecognizer | NaiveRecognizer, *,
                 on_events: Callable[[list[RecognizedCaption]], None], on_error: Callable[[BaseException], None],
                 max_queued_s: float, name: str, nice: int = 0) -> ChannelWorker:
    """The recogniser in its own thread (``on_events`` and ``on_error`` are called on that thread)."""
    worker = ChannelWorker(recognizer, on_events=on_events, on_error=on_error, max_queued_s=max_queued_s,
                           name=name, nice=nice)
    worker.start()
    return worker
