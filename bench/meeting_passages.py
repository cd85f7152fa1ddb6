"""Meeting-like passages built by script from ``../shared/eval``: what clean read clips hide.

A passage joins real speech clips into 2–5 minutes of "meeting": turns of one
to three clips by one speaker, speaker changes with level jumps of up to
±25 dB (a lapel microphone at −50 dBFS after the chair at −20 dBFS), short
pauses inside a turn (0.25–0.8 s, breaths), long ones between turns (1.5–5 s),
room noise under everything, paper/cough-like bursts between turns, and on the
multilingual passages English turns alternating with French or Spanish ones.
Everything is seeded: the same eval set gives the same audio, sample for sample.

Each passage knows where every clip lies, so a benchmark can score per clip
(words lost at utterance starts) as well as pooled.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bench.common import Clip, eval_dir, load_pcm16

__all__ = ["Placed", "Passage", "meeting_passages", "PASSAGE_NAMES", "ROOM_NOISE_DB", "eval_clips", "at_level",
           "room_noise", "noise_burst"]

SAMPLE_RATE_HZ = 16_000
#: RMS levels (dBFS) a speaker may have; consecutive turns jump by up to 25 dB.
LEVELS_DB = (-20.0, -26.0, -32.0, -38.0, -45.0, -50.0)
ROOM_NOISE_DB = -62.0
PASSAGE_NAMES = ("en-board", "en-plenary", "en-fr-es-floor")


@dataclass(frozen=True)
class Placed:
    clip: Clip
    start_s: float
    end_s: float
    level_db: float
    speaker: int


@dataclass
class Passage:
    name: str
    language: str  # "en" or "multi"
    audio: np.ndarray
    placed: list[Placed] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        return len(self.audio) / SAMPLE_RATE_HZ

    @property
    def reference(self) -> str:
        return " ".join(p.clip.reference for p in self.placed)


def _ref(path: Path) -> str:
    return path.with_suffix(".txt").read_text(encoding="utf-8").strip()


def eval_clips(lang: str) -> list[Clip]:
    asr = eval_dir() / "asr"
    if lang == "en":
        # Not librispeech/1272-128104-0000.flac: its audio does not match its .txt (see bench/common.py).
        paths = [asr / "en/whisper_jfk/jfk.flac", asr / "en/wenet_librispeech/librispeech-1995-1837-0001.wav",
                 *sorted((asr / "en/sonar_fleurs").glob("*.wav")), *sorted((asr / "en/fleurs").glob("*.ogg")),
                 *sorted((asr / "en/pocketsphinx_librivox").glob("*.wav"))]
    else:
        paths = sorted((asr / lang / "fleurs").glob("*.ogg"))
    return [Clip(p, lang, _ref(p)) for p in paths if p.exists()]


def at_level(audio: np.ndarray, level_db: float) -> np.ndarray:
    rms = float(np.sqrt(np.mean(audio * audio))) or 1e-9
    out = audio * (10 ** (level_db / 20) / rms)
    peak = float(np.max(np.abs(out)))
    return out * (0.98 / peak) if peak > 0.98 else out


def room_noise(rng: np.random.Generator, n: int, level_db: float) -> np.ndarray:
    """Room tone: white noise through a short moving average (more low than high end), at an RMS level."""
    if not n:
        return np.zeros(0, np.float32)
    tone = np.convolve(rng.standard_normal(n).astype(np.float32), np.ones(8, np.float32) / 8, mode="same")
    return at_level(tone, level_db).astype(np.float32)


def noise_burst(rng: np.random.Generator, level_db: float) -> np.ndarray:
    n = int(rng.uniform(0.15, 0.45) * SAMPLE_RATE_HZ)
    env = np.exp(-np.linspace(0, 6, n)).astype(np.float32)
    return at_level(rng.standard_normal(n).astype(np.float32) * env, level_db)


def _build(name: str, turns: list[list[Clip]], seed: int) -> Passage:
    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    pieces: list[np.ndarray] = [np.zeros(int(0.8 * SAMPLE_RATE_HZ), np.float32)]
    t = 0.8
    placed: list[Placed] = []
    level = LEVELS_DB[0]
    for speaker, turn in enumerate(turns):
        if speaker:
            pause = rng.uniform(1.5, 5.0)
            gap = np.zeros(int(pause * SAMPLE_RATE_HZ), np.float32)
            if rng.random() < 0.6:  # paper, a cough, a chair: noise the VAD must not turn into words
                burst = noise_burst(nrng, rng.uniform(-40, -28))
                at = int(rng.uniform(0.3, max(0.31, pause - 0.8)) * SAMPLE_RATE_HZ)
                gap[at:at + len(burst)] += burst[: len(gap) - at]
            pieces.append(gap)
            t += pause
            level = rng.choice([lv for lv in LEVELS_DB if 8 <= abs(lv - level) <= 25])
        for k, clip in enumerate(turn):
            if k:
                breath = rng.uniform(0.25, 0.8)
                pieces.append(np.zeros(int(breath * SAMPLE_RATE_HZ), np.float32))
                t += breath
            audio = at_level(load_pcm16(clip.path), level + rng.uniform(-2, 2))
            placed.append(Placed(clip, round(t, 3), round(t + len(audio) / SAMPLE_RATE_HZ, 3), level, speaker))
            pieces.append(audio.astype(np.float32))
            t += len(audio) / SAMPLE_RATE_HZ
    pieces.append(np.zeros(int(1.5 * SAMPLE_RATE_HZ), np.float32))
    audio = np.concatenate(pieces)
    audio = audio + room_noise(nrng, len(audio), ROOM_NOISE_DB)
    return Passage(name, "multi" if any(c.language != "en" for turn in turns for c in turn) else "en",
                   np.clip(audio, -1, 1).astype(np.float32), placed)


def _turns(clips: list[Clip], rng: random.Random) -> list[list[Clip]]:
    turns, i = [], 0
    while i < len(clips):
        n = rng.choice((1, 1, 2, 3))
        turns.append(clips[i:i + n])
        i += n
    return turns


def meeting_passages(names: tuple[str, ...] = PASSAGE_NAMES, *, english_only: bool = False) -> list[Passage]:
    """The passages, built from the eval set (an empty list when it is absent)."""
    en = eval_clips("en")
    if not en:
        return []
    out = []
    if "en-board" in names:
        rng = random.Random(11)
        order = en[:]
        rng.shuffle(order)
        out.append(_build("en-board", _turns(order, rng), 11))
    if "en-plenary" in names:
        rng = random.Random(23)
        order = en[::-1]
        out.append(_build("en-plenary", _turns(order, rng), 23))
    if "en-fr-es-floor" in names and not english_only:
        rng = random.Random(37)
        others = eval_clips("fr") + eval_clips("es")
        rng.shuffle(others)
        english = en[:len(others)]
        turns: list[list[Clip]] = []
        for a, b in zip(_turns(english, rng), _turns(others, rng)):
            turns += [a, b]
        out.append(_build("en-fr-es-floor", turns, 37))
    return out
