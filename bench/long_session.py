"""Long session: 2 h of meeting audio through one session, resident memory flat and decode time per final steady.

A real ``floorcast serve`` (translation off, its record in a scratch SQLite file) gets one session
(``allowed_languages ["en"]``, no translation) and one ingest client that streams a long timeline
**accelerated**: frames go out as fast as the server takes them. When the channel's queue
(FLOORCAST_AUDIO_QUEUE_S, 30 s) is full the ingest stops reading its socket (service/ingest_ws.py,
``_offer_to``), so the client's ``send`` waits: the back-pressure paces the sender. On loopback the
kernel's socket buffers grow to megabytes and would become a second, unbounded queue (with the server's
keep-alive pongs stuck behind it), so the sender also holds back while it is more than 60 s of audio
ahead of the recogniser (the channel's ``audio_s``, polled); the queue itself stays full throughout.

The timeline is the English meeting passages (bench/meeting_passages.py) cut into speaker turns, each
followed by room noise (now and then a paper/cough burst) about five times as long as the turn, so
about 1/6 of the time is speech; the turns cycle until ``--minutes`` of audio. A viewer websocket is
open the whole time and counts finals, so the memory includes the fan-out.

Every ``--every`` audio-minutes (the recogniser's clock: the channel's ``audio_s``) the server's RSS
(VmRSS), the channel stats and the wall time are recorded; per window, decode time per final = busy
delta / finals delta is the "latency not growing" proxy (accelerated, the recogniser is always behind
and skips partials, so its busy time is final decodes). Verdicts: RSS at the end − RSS after warm-up
(``--warmup`` audio-minutes) ≤ 50 MB; decode per final in the last quarter / in the first quarter.

    python bench/long_session.py [--minutes 120] [--model base] [--every 5] [--warmup 10]

Prints a table and writes bench/results/long_session.json.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import platform
import random
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import httpx
import numpy as np
import websockets
from rich.console import Console
from rich.table import Table
from websockets.asyncio.client import ClientConnection

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import (captions_url, create_session, ingest_socket, pcm_s16le, process_memory_mb,  # noqa: E402
                          running_server_process, session_channels, stop_ingest)
from bench.meeting_passages import (ROOM_NOISE_DB, SAMPLE_RATE_HZ, Passage, Placed, noise_burst, room_noise,  # noqa: E402
                                    meeting_passages)

RESULTS = Path(__file__).resolve().parent / "results"
FRAME = SAMPLE_RATE_HZ // 10  # samples in a 100 ms frame
FRAME_S = FRAME / SAMPLE_RATE_HZ
SPEECH_SHARE = 1 / 6
TURN_PAD_S = 0.3  # room kept either side of a turn cut out of its passage
SEND_BUFFER_BYTES = 64 * 1024  # about 2 s of audio in the client's kernel buffer
MAX_AHEAD_S = 60.0  # audio sent but not yet recognised: the channel's 30 s queue and some in the sockets
POLL_S = 0.5
RSS_GROWTH_LIMIT_MB = 50.0


# -- the timeline --------------------------------------------------------------------------------
def speaker_turns(passages: list[Passage]) -> list[np.ndarray]:
    """Each passage cut at its speaker changes: a turn's clips and breaths, with a little room either side."""
    turns = []
    for passage in passages:
        by_speaker: dict[int, list[Placed]] = {}
        for placed in passage.placed:
            by_speaker.setdefault(placed.speaker, []).append(placed)
        for clips in by_speaker.values():
            a = max(0, int((clips[0].start_s - TURN_PAD_S) * SAMPLE_RATE_HZ))
            b = min(len(passage.audio), int((clips[-1].end_s + TURN_PAD_S) * SAMPLE_RATE_HZ))
            turns.append(passage.audio[a:a + (b - a) // FRAME * FRAME])
    return turns


def room_gap(turn_samples: int, rng: random.Random, nrng: np.random.Generator) -> np.ndarray:
    """Room noise about (1/SPEECH_SHARE − 1) times as long as the turn before it; sometimes a burst in it."""
    n = int(turn_samples * (1 / SPEECH_SHARE - 1) * rng.uniform(0.6, 1.4)) // FRAME * FRAME
    gap = room_noise(nrng, n, ROOM_NOISE_DB)
    if n > SAMPLE_RATE_HZ and rng.random() < 0.3:
        burst = noise_burst(nrng, rng.uniform(-40, -28))
        at = rng.randrange(0, n - len(burst)) if n > len(burst) else 0
        gap[at:at + len(burst)] += burst[:n - at]
    return gap


def timeline(turns: list[np.ndarray], total_s: float, seed: int = 5) -> Iterator[tuple[bytes, float]]:
    """(pcm_s16le, seconds of speech in it): turn, room, turn, room ... cycling through the turns, cut at total_s.

    Made piece by piece as it is sent, so two hours of audio never sit in memory at once."""
    rng, nrng = random.Random(seed), np.random.default_rng(seed)
    left = int(total_s * SAMPLE_RATE_HZ) // FRAME * FRAME
    for turn in itertools.cycle(turns):
        for piece, is_speech in ((turn, True), (room_gap(len(turn), rng, nrng), False)):
            piece = piece[:left]
            left -= len(piece)
            if len(piece):
                yield pcm_s16le(piece), len(piece) / SAMPLE_RATE_HZ if is_speech else 0.0
            if left <= 0:
                return


# -- the run -------------------------------------------------------------------------------------
@dataclass
class Progress:
    sent_s: float = 0.0
    speech_s: float = 0.0
    recognised_s: float = 0.0  # the channel's audio_s at the last poll
    viewer_finals: int = 0
    max_ahead_s: float = 0.0  # audio sent but not yet recognised (the channel's queue and the sockets)
    done: bool = False


def checkpoint(channel: dict, pid: int, progress: Progress, wall_s: float) -> dict:
    return {"audio_min": round(channel["audio_s"] / 60, 3), "wall_s": round(wall_s, 2),
            "rss_mb": round(process_memory_mb(pid), 1), "busy_s": channel["busy_s"], "audio_s": channel["audio_s"],
            "finals": channel["finals"], "partial_decodes": channel["partial_decodes"],
            "partials_skipped": channel["partials_skipped"], "rejected": channel["rejected"],
            "viewer_finals": progress.viewer_finals, "sent_s": round(progress.sent_s, 1)}


async def count_finals(url: str, progress: Progress, ready: asyncio.Event) -> None:
    async with websockets.connect(url, max_size=None, ping_interval=None) as ws:
        ready.set()
        async for message in ws:
            if json.loads(message).get("type") == "final":
                progress.viewer_finals += 1


def limit_send_buffer(ws: ClientConnection) -> None:
    sock = ws.transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER_BYTES)


async def send_accelerated(ws: ClientConnection, pieces: Iterator[tuple[bytes, float]], progress: Progress) -> None:
    frame_bytes = FRAME * 2
    for pcm, speech_s in pieces:
        for offset in range(0, len(pcm), frame_bytes):
            while progress.sent_s - progress.recognised_s > MAX_AHEAD_S:
                await asyncio.sleep(0.05)
            await ws.send(pcm[offset:offset + frame_bytes])  # waits while the server is not reading (queue full)
            progress.sent_s += FRAME_S
            await asyncio.sleep(0)  # let the viewer and the watcher run even when the socket takes everything
        progress.speech_s += speech_s


async def watch(http: httpx.AsyncClient, session_id: str, pid: int, progress: Progress, marks_s: list[float],
                checkpoints: list[dict], t0: float) -> None:
    """Poll the channel's stats (the sender's lead); record a checkpoint each time its audio clock passes a mark."""
    marks = list(marks_s)
    while not progress.done:
        await asyncio.sleep(POLL_S)
        floor = (await session_channels(http, session_id))["floor"]
        progress.recognised_s = floor["audio_s"]
        progress.max_ahead_s = max(progress.max_ahead_s, progress.sent_s - floor["audio_s"])
        if marks and floor["audio_s"] >= marks[0]:
            checkpoints.append(checkpoint(floor, pid, progress, time.monotonic() - t0))
            print(f"  {checkpoints[-1]['audio_min']:.1f} audio-min, {checkpoints[-1]['wall_s']:.0f} s wall, "
                  f"RSS {checkpoints[-1]['rss_mb']:.0f} MB, {floor['finals']} finals", flush=True)
            marks = [m for m in marks if m > floor["audio_s"]]


async def long_session(url: str, token: str, pid: int, minutes: float, every_min: float) -> dict:
    turns = speaker_turns(meeting_passages(english_only=True))
    if not turns:
        raise SystemExit("no eval set: set FLOORCAST_EVAL_DIR")
    session = await create_session(url, token, {"title": "long session", "allowed_languages": ["en"],
                                                "translation_languages": []})
    sid, progress, checkpoints = session["id"], Progress(), []
    ready = asyncio.Event()
    viewer = asyncio.create_task(count_finals(captions_url(url, token, sid), progress, ready))
    await ready.wait()
    marks = [every_min * 60 * k for k in range(1, int(minutes / every_min + 1)) if every_min * k < minutes - 1e-9]
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        # no client keep-alive pings: they would queue behind the audio the server is not reading yet
        async with ingest_socket(url, token, sid, ping_interval=None) as (ws, _):
            limit_send_buffer(ws)
            t0 = time.monotonic()
            checkpoints.append(checkpoint((await session_channels(http, sid))["floor"], pid, progress, 0.0))
            watcher = asyncio.create_task(watch(http, sid, pid, progress, marks, checkpoints, t0))
            sender = asyncio.create_task(send_accelerated(ws, timeline(turns, minutes * 60), progress))
            await asyncio.wait({sender, watcher}, return_when=asyncio.FIRST_COMPLETED)
            if watcher.done():  # it failed; the sender would wait for it forever
                sender.cancel()
                watcher.result()
            await sender
            stopped = await stop_ingest(ws)
        progress.done = True
        await watcher
        await asyncio.sleep(1.5)  # the last finals reach the viewer
        end = checkpoint((await session_channels(http, sid))["floor"], pid, progress, time.monotonic() - t0)
    viewer.cancel()
    return {"checkpoints": checkpoints + [end], "stopped": stopped, "speech_s": progress.speech_s,
            "sent_s": progress.sent_s, "max_ahead_s": progress.max_ahead_s,
            "rss_peak_mb": process_memory_mb(pid, "VmHWM")}


# -- the figures ---------------------------------------------------------------------------------
def window(a: dict, b: dict) -> dict:
    """What happened between two checkpoints."""
    busy, finals, audio = b["busy_s"] - a["busy_s"], b["finals"] - a["finals"], b["audio_s"] - a["audio_s"]
    wall = b["wall_s"] - a["wall_s"]
    return {"decode_per_final_s": busy / finals if finals else float("nan"), "finals": finals,
            "busy_per_audio_s": busy / audio if audio else float("nan"),
            "speed_x": audio / wall if wall > 0 else float("nan")}


def at_minute(checkpoints: list[dict], minute: float) -> dict:
    """The first checkpoint at or past an audio-minute (the last one if none is)."""
    return next((c for c in checkpoints if c["audio_min"] >= minute - 1e-6), checkpoints[-1])


def summarise(run: dict, minutes: float, warmup_min: float) -> dict:
    points = run["checkpoints"]
    warm, end = at_minute(points, warmup_min), points[-1]
    first = window(points[0], at_minute(points, minutes / 4))
    last = window(at_minute(points, 3 * minutes / 4), end)
    growth = end["rss_mb"] - warm["rss_mb"]
    ratio = last["decode_per_final_s"] / first["decode_per_final_s"]
    return {"rss_start_mb": points[0]["rss_mb"], "rss_after_warmup_mb": warm["rss_mb"],
            "rss_warmup_at_min": warm["audio_min"], "rss_end_mb": end["rss_mb"], "rss_growth_mb": growth,
            "rss_peak_mb": run["rss_peak_mb"], "rss_flat": growth <= RSS_GROWTH_LIMIT_MB,
            "decode_per_final_first_quarter_s": first["decode_per_final_s"],
            "decode_per_final_last_quarter_s": last["decode_per_final_s"], "decode_per_final_ratio": ratio,
            "audio_s": end["audio_s"], "speech_share": run["speech_s"] / max(run["sent_s"], 1e-9),
            "wall_s": end["wall_s"], "speed_x": end["audio_s"] / max(end["wall_s"], 1e-9),
            "finals": end["finals"], "viewer_finals": end["viewer_finals"], "rejected": end["rejected"],
            "partial_decodes": end["partial_decodes"], "partials_skipped": end["partials_skipped"],
            "max_ahead_s": run["max_ahead_s"]}


def print_table(points: list[dict], summary: dict, model: str) -> None:
    table = Table(title=f"long session ({model}), accelerated: per window ending at the audio-minute")
    for col in ("audio min", "wall s", "× real time", "RSS MB", "finals", "viewer finals", "decode/final s",
                "busy s/s"):
        table.add_column(col, justify="right")
    for a, b in zip(points, points[1:]):
        w = window(a, b)
        table.add_row(f"{b['audio_min']:.1f}", f"{b['wall_s']:.0f}", f"{w['speed_x']:.1f}", f"{b['rss_mb']:.0f}",
                      str(b["finals"]), str(b["viewer_finals"]), f"{w['decode_per_final_s']:.2f}",
                      f"{w['busy_per_audio_s']:.3f}")
    Console(width=160).print(table)
    s = summary
    print(f"RSS: {s['rss_start_mb']:.0f} MB at start, {s['rss_after_warmup_mb']:.0f} MB after warm-up "
          f"({s['rss_warmup_at_min']:.1f} min), {s['rss_end_mb']:.0f} MB at the end: {s['rss_growth_mb']:+.1f} MB "
          f"({'flat' if s['rss_flat'] else 'GROWING'}, limit +{RSS_GROWTH_LIMIT_MB:.0f}); "
          f"peak {s['rss_peak_mb']:.0f} MB")
    print(f"decode per final: {s['decode_per_final_first_quarter_s']:.3f} s first quarter, "
          f"{s['decode_per_final_last_quarter_s']:.3f} s last quarter, ratio {s['decode_per_final_ratio']:.2f}")
    print(f"{s['audio_s'] / 60:.1f} audio-min ({s['speech_share']:.0%} speech) in {s['wall_s']:.0f} s "
          f"({s['speed_x']:.1f}× real time); {s['finals']} finals, {s['viewer_finals']} reached the viewer; "
          f"at most {s['max_ahead_s']:.1f} s of audio sent ahead of the recogniser")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=120.0, help="audio-minutes to stream")
    parser.add_argument("--model", default="base")
    parser.add_argument("--every", type=float, default=5.0, help="audio-minutes between checkpoints")
    parser.add_argument("--warmup", type=float, default=10.0, help="audio-minute whose RSS is the baseline")
    parser.add_argument("--out", default=str(RESULTS / "long_session.json"))
    args = parser.parse_args()
    env = {"FLOORCAST_MODEL": args.model, "FLOORCAST_TRANSLATION": "false"}
    print(f"streaming {args.minutes:g} audio-minutes into one session ({args.model}), accelerated ...", flush=True)
    with running_server_process(env, scratch_store=True) as (url, token, proc):
        run = asyncio.run(long_session(url, token, proc.pid, args.minutes, args.every))
    summary = summarise(run, args.minutes, args.warmup)
    print_table(run["checkpoints"], summary, args.model)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({
        "machine": platform.platform(), "when": time.strftime("%Y-%m-%d %H:%M"),
        "config": {"model": args.model, "minutes": args.minutes, "every_min": args.every, "warmup_min": args.warmup,
                   "speech_share_target": SPEECH_SHARE, "rss_growth_limit_mb": RSS_GROWTH_LIMIT_MB},
        "summary": summary, "checkpoints": run["checkpoints"], "stopped": run["stopped"]}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
