"""Shared helpers for the benchmarks: eval clips, text normalisation, a server subprocess, its sessions and sockets."""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import unicodedata
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Iterator

import httpx
import numpy as np
import websockets
from websockets.asyncio.client import ClientConnection

__all__ = ["Clip", "eval_dir", "clip_set", "normalize", "load_pcm16", "pcm_s16le", "running_server",
           "running_server_process", "process_memory_mb", "percentile", "create_session", "session_channels",
           "captions_url", "ingest_socket", "stop_ingest"]

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Clip:
    path: Path
    language: str
    reference: str


def eval_dir() -> Path:
    return Path(os.environ.get("FLOORCAST_EVAL_DIR", ROOT.parent / "shared" / "eval")).resolve()


def _ref(path: Path) -> str:
    return path.with_suffix(".txt").read_text(encoding="utf-8").strip()


def clip_set(name: str = "standard") -> list[Clip]:
    """Real speech with gold references (see ../shared/eval/README.md)."""
    asr = eval_dir() / "asr"
    # Not asr/en/librispeech/1272-128104-0000.flac: its audio is utterance 1272-128104-0001
    # ("nor is mister quilter's manner ...") but its .txt is the transcript of 0000.
    en = [asr / "en/whisper_jfk/jfk.flac", asr / "en/wenet_librispeech/librispeech-1995-1837-0001.wav",
          *sorted((asr / "en/sonar_fleurs").glob("*.wav")),
          *sorted((asr / "en/fleurs").glob("*.ogg")), *sorted((asr / "en/pocketsphinx_librivox").glob("*.wav"))]
    clips = [Clip(p, "en", _ref(p)) for p in en]
    if name == "standard":
        for lang in ("fr", "es"):
            clips += [Clip(p, lang, _ref(p)) for p in sorted((asr / lang / "fleurs").glob("*.ogg"))[:3]]
    return clips


_PUNCT = re.compile(r"[^\w\s']|_", re.UNICODE)


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return " ".join(_PUNCT.sub(" ", text).split())


def load_pcm16(path: Path) -> np.ndarray:
    from faster_whisper.audio import decode_audio

    return decode_audio(str(path), sampling_rate=16000)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_server(env_overrides: dict[str, str]) -> Iterator[tuple[str, str]]:
    """Start ``floorcast serve`` on a free loopback port; yield (base_url, token)."""
    with running_server_process(env_overrides) as (url, token, _):
        yield url, token


@contextmanager
def running_server_process(env_overrides: dict[str, str], *,
                           scratch_store: bool = False) -> Iterator[tuple[str, str, subprocess.Popen]]:
    """Start ``floorcast serve`` on a free loopback port; yield (base_url, token, the server process).

    The server's log goes to a scratch file (a pipe nobody reads stalls the server once it is full, which a
    long run reaches); ``scratch_store`` puts its record (SQLite) there too, so the benchmark's sessions leave
    nothing in the data dir. ``env_overrides`` win over both.
    """
    port = _free_port()
    token = "bench-" + os.urandom(8).hex()
    with tempfile.TemporaryDirectory(prefix="floorcast-bench-") as scratch:
        log_path = Path(scratch) / "server.log"
        env = {**os.environ, "FLOORCAST_ADMIN_TOKEN": token, "FLOORCAST_PORT": str(port),
               "FLOORCAST_HOST": "127.0.0.1"}
        if scratch_store:
            env["FLOORCAST_DATABASE_URL"] = f"sqlite:///{Path(scratch) / 'floorcast.db'}"
        env.update(env_overrides)
        with log_path.open("wb") as log:
            proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve"], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, proc, log_path)
            yield url, token, proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _wait_healthy(url: str, proc: subprocess.Popen, log_path: Path, timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("server did not start: " + log_path.read_bytes().decode(errors="replace")[-2000:])
        time.sleep(0.3)


def process_memory_mb(pid: int, field: str = "VmRSS") -> float:
    """A process's resident memory (``VmRSS``; ``VmHWM``: its peak) from /proc, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pcm_s16le(audio: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as the ingest websocket's ``pcm_s16le`` bytes."""
    return (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()


# -- a session on the running server -------------------------------------------------------------
async def create_session(url: str, token: str, body: dict) -> dict:
    """``POST /v1/sessions``; the session as the server returns it."""
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        return (await http.post("/v1/sessions", json=body)).raise_for_status().json()


async def session_channels(http: httpx.AsyncClient, session_id: str) -> dict[str, dict]:
    """The session's channel statistics (audio_s, busy_s, finals, ...) by channel name."""
    session = (await http.get(f"/v1/sessions/{session_id}")).raise_for_status().json()
    return {c["name"]: c for c in session["channels"]}


def _ws_base(url: str, session_id: str) -> str:
    return url.replace("http", "ws", 1) + f"/v1/sessions/{session_id}"


def captions_url(url: str, token: str, session_id: str) -> str:
    return f"{_ws_base(url, session_id)}/captions?token={token}"


@asynccontextmanager
async def ingest_socket(url: str, token: str, session_id: str, channel: str = "floor",
                        **connect: object) -> AsyncIterator[tuple[ClientConnection, dict]]:
    """An ingest websocket for one channel, ``start`` sent (16 kHz mono pcm_s16le); yield it and the ``ready`` event."""
    async with websockets.connect(f"{_ws_base(url, session_id)}/audio?channel={channel}",
                                  additional_headers={"Authorization": f"Bearer {token}"}, **connect) as ws:
        await ws.send(json.dumps({"type": "start", "encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1}))
        yield ws, json.loads(await ws.recv())


async def stop_ingest(ws: ClientConnection, timeout_s: float = 300) -> dict:
    """Send ``stop``; the ``stopped`` event, once the server has recognised everything it received."""
    await ws.send(json.dumps({"type": "stop"}))
    return json.loads(await asyncio.wait_for(ws.recv(), timeout_s))
