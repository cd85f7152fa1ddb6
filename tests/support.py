"""Helpers shared by the test modules: audio loading, scoring, and clients for a live server.

Nothing here stands in for the product: :class:`LiveServer` talks to a real
``uvicorn`` process over HTTP and websockets, audio is decoded from the
evaluation clips, and WER is computed with jiwer against the reference text
stored beside each clip.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import jiwer
import numpy as np
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

__all__ = [
    "REPO_ROOT", "SAMPLE_RATE_HZ", "load_audio", "pcm16", "silence_pcm", "noise_pcm", "reference_text",
    "normalise", "wer", "finals_text", "assert_caption_invariants", "LiveServer", "CaptionViewer",
    "stream_pcm", "expect_close", "ClipSpan", "free_port", "ServerProcess", "floorcast_command",
]

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_RATE_HZ = 16_000
FRAME_S = 0.1
FAST_PAUSE_S = 0.025  # 100 ms of audio every 25 ms: four times faster than real time


# -- audio -------------------------------------------------------------------------------
def load_audio(path: Path) -> np.ndarray:
    """A clip decoded and resampled to 16 kHz mono float32, as faster-whisper does it."""
    from faster_whisper.audio import decode_audio

    return decode_audio(str(path), sampling_rate=SAMPLE_RATE_HZ)


def pcm16(samples: np.ndarray) -> bytes:
    """float32 in [-1, 1] to pcm_s16le bytes."""
    return (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()


def silence_pcm(seconds: float) -> bytes:
    return bytes(2 * int(seconds * SAMPLE_RATE_HZ))


def noise_pcm(seconds: float, *, rms: float = 0.1, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    return pcm16(rng.normal(0.0, rms, int(seconds * SAMPLE_RATE_HZ)).astype(np.float32))


# -- scoring -----------------------------------------------------------------------------
def reference_text(clip: Path) -> str:
    return clip.with_suffix(".txt").read_text(encoding="utf-8").strip()


_NOT_WORD = re.compile(r"[^\w']+|(?<!\w)'|'(?!\w)", re.UNICODE)


def normalise(text: str) -> str:
    """Case and punctuation folded away (FLEURS references are written that way)."""
    text = unicodedata.normalize("NFKC", text).replace("’", "'").casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def wer(reference: str, hypothesis: str) -> float:
    return jiwer.wer(normalise(reference), normalise(hypothesis))


def finals_text(events: list[dict], channel: str | None = None) -> str:
    return " ".join(e["text"] for e in events
                    if e["type"] == "final" and e["text"] and (channel is None or e["channel"] == channel))


def assert_caption_invariants(events: list[dict]) -> None:
    """The promises of the captions websocket, checked over everything a viewer received.

    * ``seq`` strictly increases (a viewer of one language skips the other languages' seqs);
    * within a segment and language, ``text[:stable]`` of a partial never changes in later
      partials, and the final text starts with it;
    * a segment has exactly one final per language and nothing after it.
    """
    seqs = [e["seq"] for e in events]
    assert all(a < b for a, b in zip(seqs, seqs[1:])), f"seq not strictly increasing: {seqs}"
    promised: dict[tuple[str, str], str] = {}
    finished: set[tuple[str, str]] = set()
    for e in events:
        if e["type"] not in ("partial", "final"):
            continue
        seg = (e["segment_id"], e["lang"])
        assert seg not in finished, f"event after the final of segment {seg}: {e}"
        prefix = promised.get(seg, "")
        assert e["text"].startswith(prefix), (
            f"segment {seg}: {e['type']} {e['text']!r} breaks the stable prefix {prefix!r}")
        if e["type"] == "partial":
            assert 0 <= e["stable"] <= len(e["text"]), e
            stable = e["text"][:e["stable"]]
            assert stable.startswith(prefix), f"stable prefix shrank or changed: {prefix!r} -> {stable!r}"
            promised[seg] = stable
        else:
            finished.add(seg)


@dataclass(frozen=True)
class ClipSpan:
    """Where a clip sits on the stream's timeline."""

    language: str
    start_s: float
    end_s: float


# -- live server clients ---------------------------------------------------------------
@dataclass
class LiveServer:
    base_url: str
    token: str
    data_dir: Path
    log_path: Path
    pid: int | None = None  # the server process, when a test started it

    @property
    def ws_url(self) -> str:
        return "ws" + self.base_url[len("http"):]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def http(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, headers=self.headers, timeout=30.0)

    def create_session(self, **spec) -> dict:
        with self.http() as client:
            response = client.post("/v1/sessions", json=spec)
        assert response.status_code == 201, response.text
        return response.json()

    def get_session(self, session_id: str) -> dict:
        with self.http() as client:
            response = client.get(f"/v1/sessions/{session_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def audio_url(self, session_id: str, channel: str = "floor", token: str | None = None) -> str:
        url = f"{self.ws_url}/v1/sessions/{session_id}/audio?channel={channel}"
        return url + (f"&token={token}" if token is not None else "")

    def captions_url(self, session_id: str) -> str:
        return f"{self.ws_url}/v1/sessions/{session_id}/captions?token={self.token}"

    def ingest(self, session_id: str, channel: str = "floor"):
        return websockets.connect(self.audio_url(session_id, channel), additional_headers=self.headers,
                                  open_timeout=30)


@dataclass
class CaptionViewer:
    """A captions websocket opened before streaming; collects every event it receives."""

    server: LiveServer
    session_id: str
    events: list[dict] = field(default_factory=list)
    close_code: int | None = None
    query: str = ""  # extra query string, e.g. "lang=fr&source=machine"

    async def __aenter__(self) -> "CaptionViewer":
        self._pong_count = 0
        url = self.server.captions_url(self.session_id) + (f"&{self.query}" if self.query else "")
        self._ws = await websockets.connect(url, open_timeout=30)
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        try:
            async for message in self._ws:
                event = json.loads(message)
                if event.get("type") == "pong":
                    self._pong_count += 1
                else:
                    self.events.append(event)
        except ConnectionClosed:
            pass
        self.close_code = self._ws.close_code

    async def __aexit__(self, *exc) -> None:
        await self._ws.close()
        self._task.cancel()

    async def wait_for_seq(self, seq: int, timeout_s: float = 60.0) -> None:
        """Wait until the event with ``seq`` has arrived."""
        async with asyncio.timeout(timeout_s):
            while not any(e["seq"] >= seq for e in self.events):
                await asyncio.sleep(0.02)

    async def catch_up(self, timeout_s: float = 60.0) -> list[dict]:
        """Wait for every event the session has published so far: ``ping``, then wait for the ``pong``
        (it queues behind everything published before it). The pong itself is not kept in ``events``."""
        self._pongs = getattr(self, "_pongs", 0) + 1
        await self._ws.send(json.dumps({"type": "ping"}))
        async with asyncio.timeout(timeout_s):
            while self._pong_count < self._pongs:
                await asyncio.sleep(0.02)
        return self.events

    async def wait_closed(self, timeout_s: float = 10.0) -> int | None:
        """Wait for the server to close the captions websocket; return its close code."""
        await asyncio.wait_for(asyncio.shield(self._task), timeout_s)
        return self.close_code


async def stream_pcm(server: LiveServer, session_id: str, pcm: bytes, *, channel: str = "floor",
                     pause_s: float = FAST_PAUSE_S, frame_s: float = FRAME_S) -> dict:
    """Stream 16 kHz mono PCM in ``frame_s`` frames, then ``stop``; return the ``stopped`` event."""
    async with server.ingest(session_id, channel) as ws:
        await ws.send(json.dumps({"type": "start", "encoding": "pcm_s16le", "sample_rate": SAMPLE_RATE_HZ,
                                  "channels": 1}))
        ready = json.loads(await ws.recv())
        assert ready["type"] == "ready" and ready["channel"] == channel, ready
        step = 2 * int(frame_s * SAMPLE_RATE_HZ)
        for i in range(0, len(pcm), step):
            await ws.send(pcm[i:i + step])
            await asyncio.sleep(pause_s)
        await ws.send(json.dumps({"type": "stop"}))
        stopped = json.loads(await asyncio.wait_for(ws.recv(), 120))
        assert stopped["type"] == "stopped", stopped
        await ws.wait_closed()
        assert ws.close_code == 1000, (ws.close_code, ws.close_reason)
        return {**stopped, "offset_s": ready["offset_s"]}


async def expect_close(ws, timeout_s: float = 30.0) -> tuple[int | None, str, list]:
    """Read until the server closes; return its close code, reason and the messages before it."""
    received = []
    try:
        async with asyncio.timeout(timeout_s):
            while True:
                received.append(await ws.recv())
    except ConnectionClosed:
        pass
    return ws.close_code, ws.close_reason, received


def floorcast_command() -> list[str]:
    """The installed ``floorcast`` entry point, as a user runs it (skips the test without one)."""
    script = Path(sys.executable).with_name("floorcast")
    if script.is_file():
        return [str(script)]
    found = shutil.which("floorcast")
    if found is None:
        pytest.skip("the floorcast entry point is not installed (pip install -e .)")
    return [found]


# -- a real server process ---------------------------------------------------------------
SERVER_START_TIMEOUT_S = 180.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``uvicorn service.app:create_app`` as ``floorcast serve`` runs it, on a free loopback port.

    ``start``/``kill``/``stop`` may be called repeatedly (same port, token and data
    dir), which is how the crash tests restart a server on the same record.
    """

    def __init__(self, data_dir: Path, log_path: Path, *, model: str = "base", env: dict[str, str] | None = None,
                 token: str | None = None) -> None:
        self.port = free_port()
        self.token = token or secrets.token_urlsafe(24)
        self.log_path = log_path
        self.env = {**os.environ, "FLOORCAST_ADMIN_TOKEN": self.token, "FLOORCAST_DATA_DIR": str(data_dir),
                    "FLOORCAST_MODEL": model, "HF_HUB_OFFLINE": "1",
                    "FLOORCAST_SPEECH_TRANSLATION": "off",  # "auto" would depend on the CI machine's cores
                    **(env or {})}
        self.live = LiveServer(f"http://127.0.0.1:{self.port}", self.token, data_dir, log_path)
        self.process: subprocess.Popen | None = None

    def start(self) -> "ServerProcess":
        command = [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory", "--host", "127.0.0.1",
                   "--port", str(self.port), "--log-level", "warning", "--ws-max-size", str(16 * 1024 * 1024),
                   "--ws-ping-interval", "20", "--ws-ping-timeout", "60",
                   "--http", "service.http_limits:LimitedHttpProtocol", "--no-proxy-headers"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.live.pid = self.process.pid
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.live.base_url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not healthy after {SERVER_START_TIMEOUT_S} s:\n{self.log_path.read_text()}")
            time.sleep(0.2)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler runs, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
