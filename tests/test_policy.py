"""The pure streaming policy: segmenter, LocalAgreement-2 stabiliser, cadence, long-utterance cut.

Scripted voice probabilities and decoder hypotheses in, decisions out; no model.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.recognizer.decoder import Word
from models.recognizer.policy import (
    Cadence,
    Segmenter,
    SegmenterConfig,
    Stabilizer,
    UtteranceEnd,
    UtteranceStart,
    choose_cut,
    split_units,
)

WINDOW_S = 0.032  # the VAD's window


def run(segmenter: Segmenter, probs: list[float], t0: float = 0.0) -> list[tuple[int, object]]:
    """Push one probability per window; return (window index, event) pairs."""
    out = []
    for i, p in enumerate(probs):
        start = t0 + i * WINDOW_S
        out += [(i, e) for e in segmenter.push(start, start + WINDOW_S, p)]
    return out


# -- Segmenter ---------------------------------------------------------------------------
def test_onset_needs_min_speech_and_starts_with_pre_roll():
    cfg = SegmenterConfig()
    seg = Segmenter(cfg)
    events = run(seg, [0.1] * 20 + [0.9] * 10)
    assert len(events) == 1
    index, start = events[0]
    assert isinstance(start, UtteranceStart)
    # speech from window 20 (0.64 s); the start fires once the run is >= min_speech_s long
    first_speech_s = 20 * WINDOW_S
    windows_needed = int(np.ceil(cfg.min_speech_s / WINDOW_S - 1e-9))
    assert index == 20 + windows_needed - 1
    assert start.start_s == pytest.approx(first_speech_s - cfg.pre_roll_s)
    assert seg.in_utterance


def test_pre_roll_never_goes_before_the_stream():
    seg = Segmenter()
    (_, start), = run(seg, [0.9] * 5)
    assert start.start_s == 0.0


def test_speech_blip_shorter_than_min_speech_is_ignored():
    seg = Segmenter(SegmenterConfig(min_speech_s=0.1))
    # two windows = 64 ms of speech, then silence, repeatedly
    assert run(seg, ([0.9, 0.9] + [0.0] * 5) * 10) == []
    assert not seg.in_utterance


def test_pause_of_min_silence_ends_the_utterance_with_post_roll():
    cfg = SegmenterConfig(short_utterance_s=0.0)  # (fragments wait longer: tests/test_context_and_pauses.py)
    seg = Segmenter(cfg)
    speech, silence = [0.9] * 40, [0.05] * 30
    events = run(seg, speech + silence)
    assert [type(e) for _, e in events] == [UtteranceStart, UtteranceEnd]
    index, end = events[1]
    last_speech_end_s = 40 * WINDOW_S
    assert end.end_s == pytest.approx(last_speech_end_s + cfg.post_roll_s)
    # ends at the first window where the pause reached min_silence_s
    pause_windows = int(np.ceil(cfg.min_silence_s / WINDOW_S - 1e-9))
    assert index == 40 + pause_windows - 1
    assert not seg.in_utterance


def test_short_pause_and_hysteresis_keep_the_utterance_open():
    cfg = SegmenterConfig()
    seg = Segmenter(cfg)
    short_pause = [0.05] * int(cfg.min_silence_s / WINDOW_S - 2)
    between = [0.4] * 40  # below onset, above offset: still speech once inside an utterance
    events = run(seg, [0.9] * 10 + short_pause + [0.9] * 10 + between)
    assert [type(e) for _, e in events] == [UtteranceStart]
    assert seg.in_utterance


def test_second_utterance_after_a_pause():
    seg = Segmenter(SegmenterConfig(short_utterance_s=0.0))
    events = run(seg, [0.9] * 20 + [0.0] * 20 + [0.9] * 20 + [0.0] * 20)
    kinds = [type(e) for _, e in events]
    assert kinds == [UtteranceStart, UtteranceEnd, UtteranceStart, UtteranceEnd]
    starts = [e.start_s for _, e in events if isinstance(e, UtteranceStart)]
    ends = [e.end_s for _, e in events if isinstance(e, UtteranceEnd)]
    assert ends[0] <= starts[1] < ends[1]


def test_pre_roll_never_reaches_into_the_previous_utterance():
    # a pause just long enough to end the utterance: pre-roll + post-roll would overlap it
    cfg = SegmenterConfig(min_silence_s=0.5, pre_roll_s=0.4, post_roll_s=0.3, short_utterance_s=0.0)
    seg = Segmenter(cfg)
    events = run(seg, [0.9] * 20 + [0.0] * 16 + [0.9] * 20 + [0.0] * 20)
    ends = [e.end_s for _, e in events if isinstance(e, UtteranceEnd)]
    starts = [e.start_s for _, e in events if isinstance(e, UtteranceStart)]
    assert len(starts) == 2 and len(ends) == 2
    assert starts[1] == pytest.approx(ends[0])  # clamped: the same audio is never decoded in two segments
    assert starts[1] > 36 * WINDOW_S - cfg.pre_roll_s  # the unclamped pre-roll would have started earlier


def test_max_length_and_continue_from():
    cfg = SegmenterConfig(max_utterance_s=3.0)
    seg = Segmenter(cfg)
    (_, start), = run(seg, [0.9] * 10)
    assert not seg.too_long(start.start_s + 2.9)
    assert seg.too_long(start.start_s + 3.0)
    seg.continue_from(start.start_s + 2.0)
    assert seg.utterance_start_s == pytest.approx(start.start_s + 2.0)
    assert not seg.too_long(start.start_s + 4.9)
    assert seg.too_long(start.start_s + 5.0)


def test_too_long_is_false_outside_an_utterance():
    seg = Segmenter(SegmenterConfig(max_utterance_s=1.0))
    run(seg, [0.0] * 100)
    assert not seg.too_long(100.0)


def test_close_ends_an_open_utterance_at_the_last_speech():
    cfg = SegmenterConfig()
    seg = Segmenter(cfg)
    run(seg, [0.9] * 30 + [0.1] * 5)  # stream ends during a pause shorter than min_silence
    assert seg.close() == pytest.approx(30 * WINDOW_S + cfg.post_roll_s)
    assert not seg.in_utterance
    assert seg.close() is None


def test_close_without_speech_returns_none():
    seg = Segmenter()
    run(seg, [0.2] * 50)
    assert seg.close() is None


# -- Stabilizer (LocalAgreement-2) -------------------------------------------------------
def test_first_hypothesis_commits_nothing():
    stab = Stabilizer(language="en")
    assert stab.update("And so my") == ("And so my", 0)
    assert stab.committed == ""


def test_agreed_words_are_committed_less_the_holdback():
    stab = Stabilizer(language="en")
    stab.update("And so my")
    text, stable = stab.update("And so my fellow")
    # the first three words agree; "fellow" is new and is the hold-back anyway
    assert stab.committed == "And so my"
    assert (text, stable) == ("And so my fellow", len("And so my"))
    # the next decode continues after the committed prefix
    text, stable = stab.update("fellow Americans")
    assert stab.committed == "And so my fellow"
    assert text == "And so my fellow Americans"
    assert text[:stable] == "And so my fellow"


def test_holdback_keeps_the_last_word_of_identical_hypotheses_open():
    stab = Stabilizer(language="en", holdback_units=1)
    stab.update("ask not what")
    text, stable = stab.update("ask not what")
    assert stab.committed == "ask not"
    assert text[:stable] == "ask not"
    assert stab.committed_units == 2


def test_agreement_stops_at_the_first_disagreement_and_ignores_case_and_punctuation():
    stab = Stabilizer(language="en")
    stab.update("What, your country can do")
    text, stable = stab.update("what your county can do for")
    assert stab.committed == "what your"
    assert text == "what your county can do for"
    assert stable == len("what your")


def test_committed_text_never_changes_over_a_scripted_stream():
    hypotheses = ["ask", "ask what", "ask what you can", "ask what you could do", "ask what you can do for your",
                  "ask what you can do for your country", "ask what you can do for your country."]
    stab = Stabilizer(language="en")
    outputs = []
    for hyp in hypotheses:
        # like the decoder, each later hypothesis continues the committed prefix
        assert hyp.startswith(stab.committed)
        outputs.append(stab.update(hyp[len(stab.committed):]))
    for i, (text, stable) in enumerate(outputs):
        for later_text, later_stable in outputs[i + 1:]:
            assert later_text.startswith(text[:stable])
            assert later_stable >= stable
    assert outputs[-1][0] == "ask what you can do for your country."
    assert stab.committed == "ask what you can do for your"


def test_an_unsure_decode_shows_text_but_commits_nothing():
    stab = Stabilizer(language="en")
    stab.update("ask not what")
    text, stable = stab.update("ask not what your", may_commit=False)
    assert (text, stable, stab.committed) == ("ask not what your", 0, "")
    # the next confident decode agrees with the unsure one, which now counts as history
    text, stable = stab.update("ask not what your country")
    assert stab.committed == "ask not what your"
    assert text[:stable] == "ask not what your"


def test_chinese_agrees_per_character():
    stab = Stabilizer(language="zh")
    stab.update("我们今天")
    text, stable = stab.update("我们今天开会")
    assert stab.committed == "我们今天"
    assert (text, stable) == ("我们今天开会", 4)


def test_chinese_disagreement_inside_a_word_commits_the_agreed_characters():
    stab = Stabilizer(language="zh")
    stab.update("我们明天开会")
    text, stable = stab.update("我们今天开会")
    assert stab.committed == "我们"
    assert text == "我们今天开会" and stable == 2


def test_unspaced_units_keep_punctuation_with_the_preceding_character():
    assert split_units("你好，世界。", "zh") == ["你", "好，", "世", "界。"]
    assert split_units("hello, world", "en") == ["hello,", "world"]


def test_reset_forgets_history_and_commitment():
    stab = Stabilizer(language="en")
    stab.update("one two three")
    stab.update("one two three four")
    stab.reset("fr")
    assert (stab.committed, stab.committed_units, stab.language) == ("", 0, "fr")
    assert stab.update("un deux trois") == ("un deux trois", 0)


# -- Cadence -------------------------------------------------------------------------------
def test_cadence_waits_for_min_audio_then_spaces_partials():
    cadence = Cadence(interval_s=0.5, load_factor=2.5, min_audio_s=0.6)
    assert not cadence.due(now_audio_s=8.0, utterance_audio_s=0.5)
    assert cadence.due(now_audio_s=8.0, utterance_audio_s=0.6)
    cadence.record(8.0, cost_s=0.125)  # cheap: 2.5 x 0.125 s is below the interval
    assert not cadence.due(8.4375, utterance_audio_s=2.0)
    assert cadence.due(8.5, utterance_audio_s=2.0)


def test_cadence_backs_off_when_decodes_are_slow():
    cadence = Cadence(interval_s=0.5, load_factor=2.5)
    cadence.record(8.0, cost_s=1.0)  # a partial took 1 s: the next one no sooner than 2.5 s of audio later
    assert not cadence.due(10.25, utterance_audio_s=5.0)
    assert cadence.due(10.5, utterance_audio_s=5.0)


def test_cadence_reset_makes_the_next_partial_due():
    cadence = Cadence()
    cadence.record(10.0, cost_s=0.2)
    assert not cadence.due(10.1, utterance_audio_s=1.0)
    cadence.reset()
    assert cadence.due(10.1, utterance_audio_s=1.0)


# -- choose_cut ------------------------------------------------------------------------------
SR = 16_000


def words_and_signal(spans: list[tuple[float, float]], gap_levels: list[float]):
    """Words at ``spans`` (loud 300 Hz tone) with noise of ``gap_levels[i]`` after word i."""
    total = spans[-1][1] + 0.5
    t = np.arange(int(total * SR)) / SR
    rng = np.random.default_rng(1)
    signal = np.zeros_like(t, dtype=np.float32)
    for i, (a, b) in enumerate(spans):
        sl = slice(int(a * SR), int(b * SR))
        signal[sl] = 0.5 * np.sin(2 * np.pi * 300 * t[sl])
        if i + 1 < len(spans):
            gap = slice(int(b * SR), int(spans[i + 1][0] * SR))
            signal[gap] = rng.normal(0, gap_levels[i], gap.stop - gap.start)
    words = [Word(f" w{i}", a, b, 0.9) for i, (a, b) in enumerate(spans)]

    def energy(a: float, b: float) -> float:
        chunk = signal[int(a * SR):int(b * SR)]
        return float(np.sqrt(np.mean(chunk * chunk))) if len(chunk) else 0.0

    return words, energy


SPANS = [(0.0, 0.8), (1.0, 1.8), (2.0, 2.8), (3.0, 3.8), (4.0, 4.8), (5.0, 5.8)]


def test_cut_goes_to_the_quietest_gap_in_range():
    words, energy = words_and_signal(SPANS, [0.2, 0.2, 0.01, 0.2, 0.2])
    # the gap after word 2 (2.8-3.0) is nearly silent
    assert choose_cut(words, 0, energy, earliest_s=0.0, latest_s=5.5) == 3


def test_cut_ignores_gaps_outside_the_allowed_range():
    words, energy = words_and_signal(SPANS, [0.2, 0.2, 0.01, 0.2, 0.05])
    # the quietest gap (2.9 s) is before earliest_s; the quietest allowed one is after word 4
    assert choose_cut(words, 0, energy, earliest_s=3.5, latest_s=5.5) == 5


def test_cut_never_splits_committed_words():
    words, energy = words_and_signal(SPANS, [0.0, 0.2, 0.2, 0.1, 0.2])
    # the silent gap after word 0 lies inside the committed text
    assert choose_cut(words, 3, energy, earliest_s=0.0, latest_s=5.5) == 4


def test_ties_go_to_the_later_gap():
    words, energy = words_and_signal(SPANS, [0.0] * 5)
    assert choose_cut(words, 0, energy, earliest_s=0.0, latest_s=5.5) == 5


def test_without_a_gap_in_range_keeps_words_ending_before_latest():
    words, energy = words_and_signal(SPANS, [0.1] * 5)
    assert choose_cut(words, 0, energy, earliest_s=10.0, latest_s=3.9) == 4
    assert choose_cut(words, 5, energy, earliest_s=10.0, latest_s=3.9) == 5
