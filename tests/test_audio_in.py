"""Ingest PCM conversion: interleaved s16le at any rate to 16 kHz mono float32."""

from __future__ import annotations

import numpy as np
import pytest

from service.audio_in import TARGET_RATE_HZ, BadAudio, PcmConverter


def interleaved_s16le(channels: list[np.ndarray]) -> bytes:
    stacked = np.stack(channels, axis=1)  # (samples, channels)
    return (np.clip(stacked, -1, 1) * 32767).astype("<i2").tobytes()


def sine(freq_hz: float, rate_hz: int, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(rate_hz * seconds)) / rate_hz
    return amplitude * np.sin(2 * np.pi * freq_hz * t)


def spectrum_peaks(samples: np.ndarray, rate_hz: int, count: int) -> list[float]:
    window = np.hanning(len(samples))
    magnitude = np.abs(np.fft.rfft(samples * window))
    freqs = np.fft.rfftfreq(len(samples), 1 / rate_hz)
    peaks = []
    for index in np.argsort(magnitude)[::-1]:
        if all(abs(freqs[index] - p) > 20 for p in peaks):
            peaks.append(float(freqs[index]))
        if len(peaks) == count:
            break
    return sorted(peaks)


def convert_in_chunks(converter: PcmConverter, data: bytes, chunk_bytes: int) -> np.ndarray:
    parts = [converter.convert(data[i:i + chunk_bytes]) for i in range(0, len(data), chunk_bytes)]
    parts.append(converter.finish())
    return np.concatenate(parts)


def test_48k_stereo_becomes_16k_mono_of_the_same_length_and_pitch():
    seconds = 2.0
    tone = sine(440.0, 48_000, seconds)
    data = interleaved_s16le([tone, tone])
    # 20 ms frames, as a browser would send them (48000 * 0.02 * 2 channels * 2 bytes)
    out = convert_in_chunks(PcmConverter(48_000, 2), data, chunk_bytes=3840)
    assert out.dtype == np.float32
    assert abs(len(out) - seconds * TARGET_RATE_HZ) <= 16  # within 1 ms
    steady = out[1600:-1600]
    assert spectrum_peaks(steady, TARGET_RATE_HZ, 1)[0] == pytest.approx(440.0, abs=2.0)
    rms = float(np.sqrt(np.mean(steady ** 2)))
    assert rms == pytest.approx(0.5 / np.sqrt(2), rel=0.02)


def test_stereo_is_mixed_down_to_the_mean_of_the_channels():
    left, right = sine(440.0, 48_000, 1.0), sine(1000.0, 48_000, 1.0)
    out = convert_in_chunks(PcmConverter(48_000, 2), interleaved_s16le([left, right]), chunk_bytes=9600)
    steady = out[1600:-1600]
    assert spectrum_peaks(steady, TARGET_RATE_HZ, 2) == pytest.approx([440.0, 1000.0], abs=2.0)
    # each tone at half its amplitude: total power 2 * (0.25^2 / 2)
    assert float(np.mean(steady ** 2)) == pytest.approx(2 * 0.25 ** 2 / 2, rel=0.03)
    # opposite channels cancel
    silent = convert_in_chunks(PcmConverter(48_000, 2), interleaved_s16le([left, -left]), chunk_bytes=9600)
    assert float(np.max(np.abs(silent))) < 1e-3


def test_16k_mono_passes_through_unchanged():
    samples = np.array([0, 1, -1, 32767, -32768, 1234], dtype="<i2")
    converter = PcmConverter(16_000, 1)
    out = converter.convert(samples.tobytes())
    np.testing.assert_array_equal(out, samples.astype(np.float32) / 32768.0)
    assert len(converter.finish()) == 0


@pytest.mark.parametrize("rate_hz", [8_000, 22_050, 44_100])
def test_other_rates_keep_duration(rate_hz):
    data = interleaved_s16le([sine(300.0, rate_hz, 1.5)])
    out = convert_in_chunks(PcmConverter(rate_hz, 1), data, chunk_bytes=2 * rate_hz // 10)
    assert abs(len(out) - 1.5 * TARGET_RATE_HZ) <= 16
    assert spectrum_peaks(out[1600:-1600], TARGET_RATE_HZ, 1)[0] == pytest.approx(300.0, abs=2.0)


@pytest.mark.parametrize(("channels", "size"), [(1, 3), (1, 1), (2, 6), (2, 2), (3, 8)])
def test_frame_that_is_not_whole_samples_raises_bad_audio(channels, size):
    with pytest.raises(BadAudio, match=f"{size} bytes"):
        PcmConverter(16_000, channels).convert(bytes(size))
