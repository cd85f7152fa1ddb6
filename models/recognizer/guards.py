"""Guards against Whisper's known failure modes on live audio.

* text hallucinated on silence or noise ("Thank you.", "Subtitles by the
  Amara.org community", and their counterparts in the six UN languages);
* loops: an n-gram repeated over and over at the end of a window;
* compression-ratio blow-ups (highly repetitive output).

Pure functions over text and decoder scores; the streamer applies them to
every partial and final before anything reaches a viewer.
"""

from __future__ import annotations

import zlib
from typing import Sequence

from models.recognizer.policy import ends_sentence, normalize_unit

__all__ = ["KNOWN_SILENCE_PHRASES", "is_known_silence_phrase", "compression_ratio", "truncate_loops",
           "truncate_restart", "reject_reason"]

_PHRASES = [
    # English
    "thank you", "thank you.", "thanks for watching", "thank you for watching", "thank you very much",
    "please subscribe", "subtitles by the amara.org community", "you", "bye", "bye.",
    "transcribed by", "the end",
    # French
    "merci", "merci.", "sous-titres réalisés par la communauté d'amara.org", "sous-titrage st' 501",
    "sous-titrage société radio-canada", "merci d'avoir regardé cette vidéo",
    # Spanish
    "gracias", "gracias.", "subtítulos realizados por la comunidad de amara.org", "gracias por ver el video",
    # Russian
    "спасибо", "продолжение следует...", "субтитры сделал dimatorzok", "субтитры создавал dimatorzok",
    "редактор субтитров а.синецкая корректор а.егорова", "спасибо за просмотр",
    # Arabic
    "شكرا", "شكرا لكم", "ترجمة نانسي قنقر", "اشتركوا في القناة",
    # Chinese
    "谢谢", "谢谢观看", "字幕由amara.org社区提供", "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", "字幕志愿者 李宗盛",
]


def _key(text: str) -> str:
    return "".join(normalize_unit(u) for u in text.split())


KNOWN_SILENCE_PHRASES: frozenset[str] = frozenset(_key(p) for p in _PHRASES)


def is_known_silence_phrase(text: str) -> bool:
    key = _key(text)
    return bool(key) and key in KNOWN_SILENCE_PHRASES


def compression_ratio(text: str) -> float:
    data = text.encode("utf-8")
    if not data:
        return 0.0
    return len(data) / len(zlib.compress(data))


def truncate_loops(units: Sequence[str], max_n: int = 30, min_repeats: int = 3) -> list[str]:
    """Cut a hypothesis where an n-gram starts repeating in a row.

    One copy of the repeated n-gram is kept; everything from its second copy on
    is dropped. A phrase of four or more units repeated once already counts
    ("And so my fellow Americans And so my fellow Americans" is the decoder
    looping, not the speaker), up to whole sentences of ``max_n`` units (a decode
    of a padded window that transcribes its last 15 words a second time);
    shorter n-grams need ``min_repeats`` copies and single units one more
    (e.g. "no, no, no" stays).
    """
    keys = [normalize_unit(u) for u in units]
    n_units = len(keys)
    for start in range(n_units):
        for n in range(1, max_n + 1):
            needed = min_repeats + 1 if n == 1 else (2 if n >= 4 else min_repeats)
            if start + n * needed > n_units:
                continue
            gram = keys[start:start + n]
            if not all(gram):
                continue
            if all(keys[start + k * n:start + (k + 1) * n] == gram for k in range(1, needed)):
                return list(units[:start + n])
    return list(units)


def truncate_restart(units: Sequence[str], min_n: int = 3) -> list[str]:
    """Cut where the hypothesis starts over, after a sentence end, with its first ``min_n`` units.

    At the end of a short window Whisper sometimes transcribes the utterance a
    second time ("... plan for their baby. These couples may choose"). Within a
    sentence, a repeated opening is usually the speaker's ("the delegate of
    France, the delegate of Spain") and is kept.
    """
    keys = [normalize_unit(u) for u in units]
    opening = keys[:min_n]
    if len(opening) < min_n or not all(opening):
        return list(units)
    for start in range(min_n, len(keys) - min_n + 1):
        if keys[start:start + min_n] == opening and ends_sentence(units[start - 1]):
            return list(units[:start])
    return list(units)


def reject_reason(text: str, *, no_speech_prob: float, avg_logprob: float, speech_ratio: float,
                  final: bool = False) -> str | None:
    """Why a whole hypothesis should be dropped, or None to keep it.

    ``speech_ratio`` is the share of the utterance's VAD windows judged speech.
    Low confidence alone rejects a partial (the next decode has more audio) but
    not a final: short real utterances ("However,") often score low.
    """
    if not text.strip():
        return "empty"
    if is_known_silence_phrase(text) and (speech_ratio < 0.6 or no_speech_prob > 0.3 or avg_logprob < -0.7):
        return "silence-phrase"
    if no_speech_prob > 0.6 and avg_logprob < -1.0:
        return "no-speech"
    if compression_ratio(text) > 2.4:
        return "compression-ratio"
    if not final and avg_logprob < -1.5:
        return "low-confidence"
    return None
