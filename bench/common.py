"""Shared helpers for the benchmarks: eval clips, text normalisation, a server subprocess."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import numpy as np

__all__ = ["Clip", "eval_dir", "clip_set", "normalize", "load_pcm16", "running_server", "percentile"]

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
    port = _free_port()
    token = "bench-" + os.urandom(8).hex()
    env = {**os.environ, "FLOORCAST_ADMIN_TOKEN": token, "FLOORCAST_PORT": str(port),
           "FLOORCAST_HOST": "127.0.0.1", **env_overrides}
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start: " + (proc.stderr.read() or b"").decode()[-2000:])
            time.sleep(0.3)
        yield url, token
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
