"""Guards against Whisper's failure modes on live audio, and per-utterance language choice."""

from __future__ import annotations

import pytest

from models.recognizer.guards import (
    compression_ratio,
    is_known_silence_phrase,
    reject_reason,
    truncate_loops,
    truncate_restart,
)
from models.recognizer.language import choose_language

# -- known silence phrases -------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Thank you.",
    "THANK YOU FOR WATCHING!",
    "Subtitles by the Amara.org community",
    "Merci.",
    "Sous-titres réalisés par la communauté d'Amara.org",
    "¡Gracias!",
    "Subtítulos realizados por la comunidad de Amara.org",
    "Спасибо.",
    "Продолжение следует...",
    "شكرا",
    "谢谢观看",
    "字幕由Amara.org社区提供",
])
def test_known_silence_phrases_in_the_un_languages(text):
    assert is_known_silence_phrase(text)


@pytest.mark.parametrize("text", [
    "",
    "   ",
    "Thank you, Madam Chair, for giving me the floor.",
    "Merci, Monsieur le Président.",
    "Gracias a todas las delegaciones",
    "谢谢主席先生",
])
def test_real_sentences_are_not_silence_phrases(text):
    assert not is_known_silence_phrase(text)


# -- loops ------------------------------------------------------------------------------------------
def test_truncate_loops_keeps_one_copy_of_a_repeated_ngram():
    units = "and so my fellow and so my fellow and so my fellow".split()
    assert truncate_loops(units) == ["and", "so", "my", "fellow"]


def test_truncate_loops_catches_a_whole_sentence_transcribed_twice():
    # measured on JFK at -17 dBFS: the padded window's decode repeated its last fifteen words
    said = "Ask not what your country can do for you ask what you can do for your country"
    units = (said + " What your country can do for you ask what you can do for your country").split()
    assert truncate_loops(units) == said.split()


def test_truncate_loops_keeps_the_text_before_the_loop():
    units = "ask not what your country, your country, your country, your country".split()
    assert truncate_loops(units) == "ask not what your country,".split()


def test_truncate_loops_compares_words_without_case_or_punctuation():
    units = "Thank you. thank you, THANK YOU".split()
    assert truncate_loops(units) == ["Thank", "you."]


def test_single_word_may_repeat_three_times_but_not_four():
    assert truncate_loops("no no no".split()) == ["no", "no", "no"]
    assert truncate_loops("no no no no we will not".split()) == ["no"]


def test_truncate_loops_leaves_a_normal_sentence_alone():
    units = "and so my fellow Americans ask not what your country can do for you".split()
    assert truncate_loops(units) == units


def test_truncate_loops_short_phrase_twice_is_not_a_loop():
    units = "we call on we call on all Member States".split()
    assert truncate_loops(units) == units


def test_truncate_loops_long_phrase_twice_is_a_loop():
    # a phrase of four or more words said twice in a row is the decoder looping (seen on JFK)
    units = "And so my fellow Americans And so my fellow Americans".split()
    assert truncate_loops(units) == "And so my fellow Americans".split()


# -- compression ratio -------------------------------------------------------------------------
def test_compression_ratio_flags_repetitive_text():
    normal = "The committee adopted the draft resolution without a vote and closed the meeting."
    looping = "the committee adopted " * 20
    assert compression_ratio("") == 0.0
    assert compression_ratio(normal) < 2.4 < compression_ratio(looping)


# -- reject_reason -----------------------------------------------------------------------------
GOOD = dict(no_speech_prob=0.05, avg_logprob=-0.3, speech_ratio=0.95)


def test_reject_reason_keeps_confident_speech():
    assert reject_reason("The meeting is called to order.", **GOOD) is None


def test_reject_reason_empty():
    assert reject_reason("  ", **GOOD) == "empty"


def test_silence_phrase_rejected_when_the_audio_was_mostly_not_speech():
    assert reject_reason("Thank you.", no_speech_prob=0.05, avg_logprob=-0.3, speech_ratio=0.4) == "silence-phrase"
    assert reject_reason("Merci.", no_speech_prob=0.5, avg_logprob=-0.3, speech_ratio=0.9) == "silence-phrase"
    assert reject_reason("谢谢", no_speech_prob=0.05, avg_logprob=-0.9, speech_ratio=0.9) == "silence-phrase"


def test_a_delegate_who_really_says_thank_you_is_kept():
    assert reject_reason("Thank you.", **GOOD) is None


def test_no_speech_needs_both_high_no_speech_prob_and_low_logprob():
    assert reject_reason("Some words here", no_speech_prob=0.7, avg_logprob=-1.2, speech_ratio=0.9) == "no-speech"
    assert reject_reason("Some words here", no_speech_prob=0.7, avg_logprob=-0.5, speech_ratio=0.9) is None


def test_compression_ratio_rejection():
    assert reject_reason("the committee adopted " * 20, **GOOD) == "compression-ratio"


def test_low_confidence_rejection():
    assert reject_reason("Ask not", no_speech_prob=0.1, avg_logprob=-1.6, speech_ratio=0.9) == "low-confidence"
    assert reject_reason("Ask not", no_speech_prob=0.1, avg_logprob=-1.4, speech_ratio=0.9) is None


# -- choose_language -------------------------------------------------------------------------
def test_most_likely_language_wins_and_is_renormalised_over_the_allowed_set():
    choice = choose_language({"fr": 0.3, "es": 0.1}, previous=None)
    assert choice.language == "fr"
    assert choice.probability == pytest.approx(0.75)
    assert not choice.fell_back


def test_unsure_detector_keeps_the_previous_language():
    probs = {"en": 0.40, "fr": 0.35, "es": 0.25}
    choice = choose_language(probs, previous="fr", threshold=0.5)
    assert (choice.language, choice.fell_back) == ("fr", True)
    assert choice.probability == pytest.approx(0.35)


def test_sure_detector_overrides_the_previous_language():
    choice = choose_language({"en": 0.8, "fr": 0.2}, previous="fr", threshold=0.5)
    assert (choice.language, choice.fell_back) == ("en", False)


def test_threshold_is_inclusive_and_configurable():
    probs = {"en": 0.5, "fr": 0.3, "es": 0.2}
    assert choose_language(probs, previous="fr", threshold=0.5).language == "en"
    assert choose_language(probs, previous="fr", threshold=0.6).language == "fr"


def test_unsure_without_usable_previous_takes_the_best_guess():
    probs = {"en": 0.40, "fr": 0.35, "es": 0.25}
    assert choose_language(probs, previous=None).language == "en"
    # a previous language outside the allowed set is not a fallback
    choice = choose_language(probs, previous="ru")
    assert (choice.language, choice.fell_back) == ("en", False)


def test_no_allowed_language_is_an_error():
    with pytest.raises(ValueError):
        choose_language({}, previous="en")


def test_truncate_restart_cuts_a_second_transcription_of_the_opening():
    # seen streaming SONAR audio_2 with tiny.en: the final decode started the sentence over
    units = "These couples may choose to make an adoption plan for their baby. These couples may choose".split()
    assert truncate_restart(units) == units[:12]


def test_truncate_restart_keeps_text_without_a_restart():
    units = "the delegate of France the delegate of Spain and the delegate".split()
    assert truncate_restart(units) == units
