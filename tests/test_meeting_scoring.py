"""The meeting benchmark's scoring: what a merged or split caption costs under each WER."""

from pathlib import Path

import numpy as np

from bench.common import Clip
from bench.meeting_passages import Passage, Placed
from bench.meeting_scoring import TimedText, passage_wer, pooled_wer, score_passage


def _passage() -> Passage:
    clips = [Clip(Path("a.wav"), "en", "Ask not what your country can do for you."),
             Clip(Path("b.wav"), "en", "It was the first great sorrow of his life.")]
    placed = [Placed(clips[0], 0.0, 4.0, -20.0, 0), Placed(clips[1], 4.3, 8.0, -20.0, 0)]
    return Passage("p", "en", np.zeros(16_000 * 8, dtype=np.float32), placed)


def test_a_caption_running_across_a_turn_costs_nothing_in_passage_wer_but_does_in_clip_attributed() -> None:
    finals = [TimedText(0.0, 2.5, "Ask not what your"),
              TimedText(2.5, 8.0, "country can do for you. It was the first great sorrow of his life.")]
    score = score_passage(_passage(), finals)
    assert passage_wer([score]) == 0.0
    assert pooled_wer([score]) > 0.2  # "country … you" counted lost in clip 1 and inserted in clip 2


def test_passage_wer_counts_lost_and_wrong_words() -> None:
    finals = [TimedText(0.0, 4.0, "what your country can do for you"), TimedText(4.3, 8.0, "it was the first great sorrow")]
    score = score_passage(_passage(), finals)
    assert passage_wer([score]) == (2 + 3) / 18
    assert score.start_words_lost == 2
