"""Ingest PCM: interleaved signed 16-bit little-endian frames to 16 kHz mono float32."""

from __future__ import annotations

import numpy as np
import soxr

__all__ = ["PcmConverter", "BadAudio", "TARGET_RATE_HZ"]

TARGET_RATE_HZ = 16_000


class BadAudio(ValueError):
    """A frame that cannot be PCM of the declared format."""


class PcmConverter:
    """Mixes down to mono and resamples (soxr, streaming) to 16 kHz."""

    def __init__(self, sample_rate_hz: int, channels: int) -> None:
        self.sample_rate_hz = sample_rate_hz
        self.channels = channels
        self._frame_bytes = 2 * channels
        self._resampler = (None if sample_rate_hz == TARGET_RATE_HZ
                           else soxr.ResampleStream(sample_rate_hz, TARGET_RATE_HZ, 1, dtype="float32", quality="HQ"))

    def convert(self, data: bytes) -> np.ndarray:
        if len(data) % self._frame_bytes:
            raise BadAudio(f"frame of {len(data)} bytes is not a whole number of {self.channels}-channel "
                           f"16-bit samples ({self._frame_bytes} bytes each)")
        samples = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
        if self.channels > 1:
            samples = samples.reshape(-1, self.channels).mean(axis=1)
        if self._resampler is None:
            return samples
        return self._resampler.resample_chunk(samples)

    def finish(self) -> np.ndarray:
        if self._resampler is None:
            return np.zeros(0, dtype=np.float32)
        return self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
