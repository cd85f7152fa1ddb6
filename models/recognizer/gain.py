"""Automatic gain for quiet inputs, applied before voice detection and recognition.

Room feeds arrive at very different levels: a lapel microphone peaking at
-44 dBFS is speech to a listener but silence to Silero VAD, which is
level-sensitive. :class:`AutoGain` follows the recent peak level (instant
attack, slow release) and raises the signal towards ``target_peak``, never by
more than ``max_gain`` and never attenuating. Gain changes once per block, so
it stays a smooth, slowly varying factor.
"""

from __future__ import annotations

import numpy as np

__all__ = ["AutoGain"]


class AutoGain:
    def __init__(self, *, target_peak: float = 0.5, max_gain: float = 100.0, release_s: float = 0.5,
                 floor: float = 1e-4, sample_rate_hz: int = 16_000) -> None:
        self.target_peak = target_peak
        self.max_gain = max_gain
        self.floor = floor
        self._release_per_sample = 0.5 ** (1.0 / (release_s * sample_rate_hz))
        self._envelope = 0.0

    @property
    def gain(self) -> float:
        level = max(self._envelope, self.floor)
        return float(min(self.max_gain, max(1.0, self.target_peak / level)))

    def process(self, audio: np.ndarray) -> np.ndarray:
        if not len(audio):
            return audio
        peak = float(np.max(np.abs(audio)))
        decayed = self._envelope * self._release_per_sample ** len(audio)
        self._envelope = max(peak, decayed)
        gain = self.gain
        if gain == 1.0:
            return audio
        return np.clip(audio * gain, -1.0, 1.0).astype(np.float32, copy=False)
