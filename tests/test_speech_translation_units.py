"""Which languages speech translation serves, and its bounded queue (no model loaded)."""

from __future__ import annotations

import numpy as np

from service.protocol import FinalEvent
from service.speech_translation import SpeechJob, SpeechTranslation, speech_targets

# Routes as on this machine: Apertium en<->es, fr<->es (en<->fr by pivot), nothing for ru, ar, zh.
ROUTES = {("en", "es"): "direct", ("es", "en"): "direct", ("fr", "es"): "direct", ("es", "fr"): "direct",
          ("en", "fr"): "pivot", ("fr", "en"): "pivot"}


def test_speech_serves_english_and_what_english_reaches_for_a_floor_without_a_route():
    assert speech_targets("ru", ("en", "fr", "es", "ar", "zh"), ROUTES) == ("en", "fr", "es")
    assert speech_targets("zh", ("es", "ar"), ROUTES) == ("es",)  # English itself not wanted: still the way to es


def test_no_speech_translation_where_text_already_reaches_english():
    assert speech_targets("fr", ("en", "ru"), ROUTES) == ()  # fr -> en exists (pivot): text engines do it
    assert speech_targets("en", ("es", "ar"), ROUTES) == ()


def test_a_full_queue_refuses_jobs_instead_of_waiting():
    speech = SpeechTranslation(decoder=None, translator=None, max_jobs=2)  # not started: nothing drains it
    final = FinalEvent(seq=1, session_id="S", channel="floor", segment_id="S.floor.1", lang="ru", text="x",
                       start=0.0, end=1.0, words=[])
    job = SpeechJob(final, np.zeros(16_000, dtype=np.float32), ("en",), lambda *_: None)
    assert [speech.submit(job) for _ in range(4)] == [True, True, False, False]
    assert speech.refused == 2 and not speech.wait_idle(0)
