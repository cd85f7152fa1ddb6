"""Any ffmpeg-readable source to 16 kHz mono s16le PCM, by running the ``ffmpeg`` binary.

A source is a file path, ``-`` for stdin, a capture device or an RTMP / SRT /
HLS / HTTP URL: whatever ``ffmpeg -i`` accepts. :func:`pcm_frames` streams it
as fixed-size frames (the last one may be shorter); :func:`decode_all` reads a
whole source into float32 samples for offline transcription. Failures are
:class:`AudioSourceError` carrying ffmpeg's last error line.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import deque
from typing import IO, AsyncGenerator, AsyncIterator

import numpy as np

__all__ = ["SAMPLE_RATE_HZ", "BYTES_PER_S", "FRAME_S", "FRAME_BYTES", "AudioSourceError", "ffmpeg_command",
           "pcm_frames", "OpenedSource", "open_source", "decode_all"]

SAMPLE_RATE_HZ = 16_000
BYTES_PER_S = 2 * SAMPLE_RATE_HZ  # mono, 16-bit
FRAME_S = 0.1
FRAME_BYTES = int(BYTES_PER_S * FRAME_S)
STDERR_LINES = 20


class AudioSourceError(RuntimeError):
    """ffmpeg is missing, or could not open or decode the source."""


def ffmpeg_command(source: str) -> list[str]:
    """The ffmpeg invocation that writes the source as 16 kHz mono s16le to stdout."""
    return ["ffmpeg", "-nostdin", "-loglevel", "error", "-i", "pipe:0" if source == "-" else source,
            "-f", "s16le", "-ac", "1", "-ar", str(SAMPLE_RATE_HZ), "-"]


def _stdin_for(source: str, stdin: IO[bytes] | None) -> IO[bytes] | int:
    if source != "-":
        return subprocess.DEVNULL
    return stdin if stdin is not None else sys.stdin.buffer


def _failure(source: str, returncode: int | None, stderr_lines: list[str]) -> AudioSourceError:
    detail = stderr_lines[-1] if stderr_lines else f"ffmpeg exited with status {returncode}"
    shown = "stdin" if source == "-" else source
    return AudioSourceError(f"cannot decode {shown}: {detail}")


def _not_found() -> AudioSourceError:
    return AudioSourceError("ffmpeg not found on PATH; install it (e.g. apt-get install ffmpeg)")


async def _collect(stream: asyncio.StreamReader, tail: deque[str]) -> None:
    while line := await stream.readline():
        text = line.decode(errors="replace").strip()
        if text:
            tail.append(text)


async def pcm_frames(source: str, *, frame_bytes: int = FRAME_BYTES,
                     stdin: IO[bytes] | None = None) -> AsyncIterator[bytes]:
    """Yield the source as PCM frames of ``frame_bytes`` (an even number; the last frame may be shorter).

    For ``-`` the process reads this process's stdin (or ``stdin``, a file with a
    real descriptor). Leaving the iteration early (``aclose``) kills ffmpeg.
    """
    if frame_bytes <= 0 or frame_bytes % 2:
        raise ValueError("frame_bytes must be a positive even number")
    try:
        process = await asyncio.create_subprocess_exec(
            *ffmpeg_command(source), stdin=_stdin_for(source, stdin), stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE)
    except FileNotFoundError:
        raise _not_found() from None
    assert process.stdout is not None and process.stderr is not None
    tail: deque[str] = deque(maxlen=STDERR_LINES)
    stderr_task = asyncio.create_task(_collect(process.stderr, tail))
    finished = False
    try:
        while True:
            try:
                frame = await process.stdout.readexactly(frame_bytes)
            except asyncio.IncompleteReadError as end:
                frame = end.partial[: len(end.partial) // 2 * 2]
                if frame:
                    yield frame
                break
            yield frame
        returncode = await process.wait()
        await stderr_task
        finished = True
        if returncode != 0:
            raise _failure(source, returncode, list(tail))
    finally:
        if not finished:
            stderr_task.cancel()
            if process.returncode is None:
                process.kill()
            await process.communicate()  # drain the pipes: a paused, full stdout would never see EOF


class OpenedSource:
    """Frames of a source whose ffmpeg is running and whose first frame has arrived; ``aclose`` stops ffmpeg."""

    def __init__(self, first: bytes, rest: AsyncGenerator[bytes, None]) -> None:
        self._first: bytes | None = first
        self._rest = rest

    def __aiter__(self) -> "OpenedSource":
        return self

    async def __anext__(self) -> bytes:
        if self._first is not None:
            frame, self._first = self._first, None
            return frame
        return await anext(self._rest)

    async def aclose(self) -> None:
        await self._rest.aclose()


async def open_source(source: str, *, frame_bytes: int = FRAME_BYTES, stdin: IO[bytes] | None = None) -> OpenedSource:
    """Start decoding and wait for the first frame, so that a source that cannot be decoded fails here."""
    frames = pcm_frames(source, frame_bytes=frame_bytes, stdin=stdin)
    try:
        first = await anext(frames)
    except StopAsyncIteration:
        raise AudioSourceError(f"no audio in {'stdin' if source == '-' else source}") from None
    except BaseException:
        await frames.aclose()
        raise
    return OpenedSource(first, frames)


def decode_all(source: str, *, stdin: IO[bytes] | None = None) -> np.ndarray:
    """The whole source as 16 kHz mono float32 samples in [-1, 1)."""
    try:
        done = subprocess.run(ffmpeg_command(source), stdin=_stdin_for(source, stdin), capture_output=True,
                              check=False)
    except FileNotFoundError:
        raise _not_found() from None
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.decode(errors="replace").splitlines() if line.strip()]
        raise _failure(source, done.returncode, lines)
    data = done.stdout[: len(done.stdout) // 2 * 2]
    if not data:
        raise AudioSourceError(f"no audio in {'stdin' if source == '-' else source}")
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0
