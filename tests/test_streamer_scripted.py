"""StreamingRecognizer's edge cases with the scripted decoder and VAD (no model: milliseconds per test).

The same behaviours are checked with the real model and real speech in test_streamer.py,
test_meeting_levels.py and test_context_and_pauses.py; here each rule is isolated.
"""

from __future__ import annotations

from models.recognizer.events import FinalCaption, PartialCaption
from models.recognizer.scripted import Hallucination, ScriptedDecoder, ScriptedVad, ScriptedWord, timeline_audio
from models.recognizer.streamer import RecognizerConfig, StreamingRecognizer

CHUNK_S = 0.1


def said(text: str, start_s: float, *, language: str = "en", word_s: float = 0.3, gap_s: float = 0.05):
    """Words said one after another from ``start_s``."""
    words, t = [], start_s
    for token in text.split():
        words.append(ScriptedWord(token, round(t, 3), round(t + word_s, 3), language))
        t += word_s + gap_s
    return words


def run(words, *, duration_s: float, noise=(), **config):
    decoder = ScriptedDecoder(words, noise)
    recognizer = StreamingRecognizer(decoder, RecognizerConfig(auto_gain=False, **config),
                                     vad=ScriptedVad(words, noise))
    audio = timeline_audio(duration_s)
    step = int(CHUNK_S * 16000)
    events = []
    for i in range(0, len(audio), step):
        events += recognizer.feed(audio[i:i + step])
    events += recognizer.flush()
    return recognizer, decoder, events


def finals(events):
    return [e for e in events if isinstance(e, FinalCaption) and e.text]


def test_two_sentences_with_a_pause_become_two_finals_with_every_word():
    words = said("The meeting is called to order.", 0.5) + said("We turn to item four.", 5.0)
    _, _, events = run(words, duration_s=9.0)
    assert [f.text for f in finals(events)] == ["The meeting is called to order.", "We turn to item four."]
    first, second = finals(events)
    assert first.start_s <= 0.5 - 0.3 and first.end_s >= words[5].end_s  # pre-roll before, post-roll after
    assert second.start_s >= first.end_s  # the pre-roll never reaches into the previous utterance


def test_stable_text_never_changes_and_is_forced_as_the_decoder_prefix():
    words = said("Distinguished delegates, I give the floor to the representative of Kenya.", 0.3)
    _, decoder, events = run(words, duration_s=7.0)
    partials = [e for e in events if isinstance(e, PartialCaption)]
    assert len(partials) >= 3
    committed = ""
    for p in partials:
        assert p.text.startswith(committed), (committed, p.text)
        committed = p.text[:p.stable]
    assert committed, "some words were committed before the final"
    assert finals(events)[0].text.startswith(committed)
    prefixes = [c.prefix for c in decoder.calls if c.prefix]
    assert prefixes and all(finals(events)[0].text.startswith(p) for p in prefixes)


def test_a_hallucination_over_noise_is_rejected_counted_with_its_reason_and_never_shown():
    words = said("Thank you, Chair.", 0.5)
    noise = [Hallucination(4.0, 6.0, text="Thank you for watching.")]
    recognizer, _, events = run(words, duration_s=9.0, noise=noise)
    assert [f.text for f in finals(events)] == ["Thank you, Chair."]
    assert recognizer.stats.rejected == 1
    assert recognizer.stats.rejected_reasons == {"silence-phrase": 1}
    [rejection] = recognizer.rejections
    assert 3.5 <= rejection.start_s < 4.1 and rejection.end_s <= 6.5
    # the real delegate's "Thank you" (confident, mostly speech) was kept
    assert recognizer.stats.finals == 1


def test_any_text_invented_over_noise_with_high_no_speech_and_low_confidence_is_rejected_as_no_speech():
    noise = [Hallucination(1.0, 3.0, text="Point of order on item seven", no_speech_prob=0.8, avg_logprob=-1.3)]
    recognizer, _, events = run([], duration_s=5.0, noise=noise)
    assert finals(events) == [] and recognizer.stats.rejected_reasons == {"no-speech": 1}


def test_noise_with_a_confident_decode_is_kept_rejection_needs_both_signals():
    noise = [Hallucination(1.0, 3.0, text="Point of order", no_speech_prob=0.8, avg_logprob=-0.4)]
    recognizer, _, events = run([], duration_s=5.0, noise=noise)
    assert [f.text for f in finals(events)] == ["Point of order"] and recognizer.stats.rejected == 0


def test_a_language_switch_after_a_pause_is_followed():
    words = said("I now give the floor to France.", 0.5) + said("Merci Monsieur le Président.", 5.0, language="fr")
    _, _, events = run(words, duration_s=8.5)
    assert [(f.language, f.text) for f in finals(events)] == [
        ("en", "I now give the floor to France."), ("fr", "Merci Monsieur le Président.")]


def test_a_fragment_before_a_short_pause_is_decoded_with_what_follows():
    words = said("And so,", 0.5) + said("my fellow Americans, ask not what your country can do for you.", 2.3)
    _, _, events = run(words, duration_s=8.0)
    assert [f.text for f in finals(events)] == [
        "And so, my fellow Americans, ask not what your country can do for you."]


def test_a_long_utterance_is_cut_at_the_maximum_with_no_word_lost_or_doubled():
    text = " ".join(f"w{i}" for i in range(60))  # 21 s of speech without a pause
    words = said(text, 0.2)
    _, _, events = run(words, duration_s=23.0)
    got = finals(events)
    assert len(got) >= 2
    assert got[0].end_s - got[0].start_s <= 15.0 + CHUNK_S
    assert " ".join(f.text for f in got).split() == text.split()
