"""Streaming voice activity detection with the Silero VAD model faster-whisper ships.

:class:`StreamingVad` keeps the LSTM state and the 64-sample context between
calls, so audio can be fed in chunks of any size; it returns one speech
probability per 32 ms window (512 samples at 16 kHz).
"""

from __future__ import annotations

import os

import numpy as np

__all__ = ["StreamingVad", "WINDOW_SAMPLES", "WINDOW_S"]

WINDOW_SAMPLES = 512
CONTEXT_SAMPLES = 64
WINDOW_S = WINDOW_SAMPLES / 16_000


def _session():
    import onnxruntime
    from faster_whisper.utils import get_assets_path

    opts = onnxruntime.SessionOptions()
    opts.inter_op_num_threads = 1
    opts.intra_op_num_threads = 1
    opts.enable_cpu_mem_arena = False
    opts.log_severity_level = 4
    path = os.path.join(get_assets_path(), "silero_vad_v6.onnx")
    return onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"], sess_options=opts)


class StreamingVad:
    """Speech probabilities for a continuous 16 kHz mono stream."""

    _shared_session = None

    def __init__(self) -> None:
        if StreamingVad._shared_session is None:
            StreamingVad._shared_session = _session()
        self._session = StreamingVad._shared_session
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def feed(self, audio: np.ndarray) -> np.ndarray:
        """Append samples; return the probabilities of every window completed."""
        data = np.concatenate([self._pending, np.asarray(audio, dtype=np.float32)])
        n = len(data) // WINDOW_SAMPLES
        self._pending = data[n * WINDOW_SAMPLES:]
        if n == 0:
            return np.zeros(0, dtype=np.float32)
        windows = data[: n * WINDOW_SAMPLES].reshape(n, WINDOW_SAMPLES)
        contexts = np.empty((n, CONTEXT_SAMPLES), dtype=np.float32)
        contexts[0] = self._context
        contexts[1:] = windows[:-1, -CONTEXT_SAMPLES:]
        self._context = windows[-1, -CONTEXT_SAMPLES:].copy()
        batch = np.concatenate([contexts, windows], axis=1)
        out, self._h, self._c = self._session.run(None, {"input": batch, "h": self._h, "c": self._c})
        return np.asarray(out, dtype=np.float32).reshape(-1)[:n]
