"""Pure policy added for meeting speech: the spoken context prompt and pauses inside a sentence."""

from __future__ import annotations

from models.recognizer.context import SpokenContext
from models.recognizer.policy import Segmenter, SegmenterConfig, UtteranceEnd, ends_sentence, repeated_head

WINDOW_S = 0.032


def push_all(segmenter: Segmenter, probs: list[float]) -> list[tuple[float, object]]:
    out = []
    for i, p in enumerate(probs):
        start = i * WINDOW_S
        out += [(start, e) for e in segmenter.push(start, start + WINDOW_S, p)]
    return out


def windows(seconds: float, prob: float) -> list[float]:
    return [prob] * round(seconds / WINDOW_S)


def test_a_breath_inside_a_sentence_does_not_end_the_utterance():
    seg = Segmenter(SegmenterConfig(min_silence_s=0.5, mid_sentence_silence_s=1.0))
    push_all(seg, windows(1.0, 0.9))
    seg.sentence_closed = False  # the partial so far reads "And so, my fellow Americans, ask not"
    events = push_all(seg, windows(0.7, 0.05))
    assert seg.in_utterance and not events


def test_a_pause_after_a_sentence_end_ends_it_at_the_short_pause():
    seg = Segmenter(SegmenterConfig(min_silence_s=0.5, mid_sentence_silence_s=1.0))
    push_all(seg, windows(2.0, 0.9))
    seg.sentence_closed = True
    events = push_all(seg, windows(0.7, 0.05))
    assert any(isinstance(e, UtteranceEnd) for _, e in events)


def test_a_long_pause_ends_even_an_open_sentence():
    seg = Segmenter(SegmenterConfig(min_silence_s=0.5, mid_sentence_silence_s=1.0))
    push_all(seg, windows(2.0, 0.9))
    seg.sentence_closed = False
    events = push_all(seg, windows(1.2, 0.05))
    assert any(isinstance(e, UtteranceEnd) for _, e in events)


def test_each_utterance_starts_as_closed():
    seg = Segmenter(SegmenterConfig())
    seg.sentence_closed = False
    push_all(seg, windows(1.0, 0.05) + windows(0.5, 0.9))
    assert seg.in_utterance and seg.sentence_closed


def test_ends_sentence_reads_punctuation_across_scripts_and_quotes():
    assert ends_sentence("Ask what you can do for your country.")
    assert ends_sentence('He said "no."') and ends_sentence("你好。") and ends_sentence("هل أنت هنا؟")
    assert not ends_sentence("And so, my fellow Americans, ask not")
    assert not ends_sentence("")


def test_context_keeps_the_latest_words_of_one_language():
    ctx = SpokenContext(max_units=5)
    ctx.add("In addition, we increased our", "en")
    ctx.add("budget by ten percent.", "en")
    assert ctx.prompt("en") == "our budget by ten percent."
    assert ctx.prompt("fr") == ""


def test_context_starts_afresh_on_a_language_switch():
    ctx = SpokenContext(max_units=10)
    ctx.add("Thank you, Madam Chair.", "en")
    ctx.add("Merci, Madame la Présidente.", "fr")
    assert ctx.prompt("fr") == "Merci, Madame la Présidente."
    assert ctx.prompt("en") == ""


def test_context_bounds_unspaced_scripts_by_characters():
    ctx = SpokenContext(max_units=3)
    ctx.add("我们今天讨论气候变化问题", "zh")
    assert ctx.prompt("zh") == "气候变化问题"


def test_context_reset_forgets():
    ctx = SpokenContext(max_units=10)
    ctx.add("we we we we", "en")
    ctx.reset()
    assert ctx.prompt("en") == ""


def test_a_short_fragment_waits_for_a_long_pause_so_it_is_decoded_with_what_follows():
    # JFK: "ask not" (0.7 s), 0.9 s of silence, "what your country can do for you": one caption
    seg = Segmenter(SegmenterConfig(short_utterance_s=1.5, short_utterance_silence_s=1.6))
    push_all(seg, windows(0.7, 0.9))
    seg.sentence_closed = True  # Whisper closes a fragment with a full stop ("No!")
    assert not push_all(seg, windows(0.9, 0.05)) and seg.in_utterance
    events = push_all(seg, windows(1.7, 0.05))
    assert any(isinstance(e, UtteranceEnd) for _, e in events)


def test_a_cut_word_heard_again_after_the_cut_is_counted_once():
    assert repeated_head(["for", "you", "ask", "what"], ["what", "you", "can", "do"]) == 1
    assert repeated_head(["do", "for", "you,"], ["For", "you", "ask"]) == 2  # case and punctuation aside
    assert repeated_head(["the", "chair"], ["thank", "you"]) == 0
    assert repeated_head([], ["what"]) == 0
