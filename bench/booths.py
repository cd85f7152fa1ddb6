"""Floor and two booths at once: three real-time streams on one machine, every channel keeping up, and its latency.

A real ``floorcast serve`` (translation off, its record in a scratch SQLite file) gets one session with
channels ``floor`` (language identified per utterance), ``booth-fr`` and ``booth-es`` (fixed
languages), ``allowed_languages ["en", "fr", "es"]``, no translation. Three ingest websockets
(``/audio?channel=...``) stream at once, each at real-time pace (100 ms frames) from its own ``ready``:
the floor an English meeting passage (bench/meeting_passages.py, the next one appended when it is
shorter), the booths the French resp. Spanish FLEURS clips of the eval set joined with pauses over room
noise, looped to the same length. One viewer websocket records every event with its arrival time.

Per channel: finals; **final lag** = arrival − when the final's last audio was sent (events carry
``start``/``end`` in session seconds; a channel's audio at session time ``end`` left the client at
about ``t0 + end − offset_s``, ``t0`` being when its ``ready`` (with ``offset_s``) arrived), p50/p95
over the finals ending in the first third of the audio and in the last third; the channel **keeps
up** when the last third's p95 is at most ``--lag-slack`` seconds above the first third's and the
sender never fell a second behind its schedule (which only the ingest pushing back can cause); with
no finals in one of the thirds it is not judged (n/a). From the session's channel stats:
busy_s/audio_s, partial decodes and partials skipped.

    python bench/booths.py [--seconds 180] [--model base] [--lag-slack 1.0]

Prints a table and writes bench/results/booths.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import websockets
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import (captions_url, create_session, ingest_socket, load_pcm16, pcm_s16le,  # noqa: E402
                          percentile, running_server_process, session_channels, stop_ingest)
from bench.meeting_passages import (ROOM_NOISE_DB, SAMPLE_RATE_HZ, at_level, eval_clips, room_noise,  # noqa: E402
                                    meeting_passages)

RESULTS = Path(__file__).resolve().parent / "results"
CHANNELS = [{"name": "floor"}, {"name": "booth-fr", "language": "fr"}, {"name": "booth-es", "language": "es"}]
FRAME = SAMPLE_RATE_HZ // 10
FRAME_S = FRAME / SAMPLE_RATE_HZ
BOOTH_LEVEL_DB = -26.0  # an interpreter's microphone: close and steady
PAUSE_S = (0.8, 2.5)  # between an interpreter's sentences
SLIP_LIMIT_S = 1.0  # the sender this late against its schedule: the ingest was pushing back


# -- audio -----------------------------------------------------------------------------------
def floor_audio(seconds: float) -> np.ndarray:
    """The English meeting passages one after another (looped if need be), cut to ``seconds``."""
    audio = np.concatenate([p.audio for p in meeting_passages(english_only=True)])
    return np.resize(audio, int(seconds * SAMPLE_RATE_HZ))


def booth_audio(language: str, seconds: float, seed: int) -> np.ndarray:
    """The language's FLEURS clips at one level, pauses between them, over room noise, looped to ``seconds``."""
    clips = [at_level(load_pcm16(c.path), BOOTH_LEVEL_DB).astype(np.float32) for c in eval_clips(language)]
    if not clips:
        raise SystemExit(f"no {language} FLEURS clips in the eval set: set FLOORCAST_EVAL_DIR")
    rng, n = random.Random(seed), int(seconds * SAMPLE_RATE_HZ)
    pieces, length, k = [], 0, 0
    while length < n:
        pause = np.zeros(int(rng.uniform(*PAUSE_S) * SAMPLE_RATE_HZ), np.float32)
        pieces += [pause, clips[k % len(clips)]]
        length += len(pause) + len(clips[k % len(clips)])
        k += 1
    audio = np.concatenate(pieces)[:n]
    return np.clip(audio + room_noise(np.random.default_rng(seed), n, ROOM_NOISE_DB), -1, 1)


# -- streaming -------------------------------------------------------------------------------
async def stream_channel(url: str, token: str, session_id: str, channel: str, pcm: bytes) -> dict:
    """Real-time pace from the channel's ``ready``; when audio time 0 left, its session offset, the worst slip."""
    async with ingest_socket(url, token, session_id, channel, ping_interval=None) as (ws, ready):
        t0, slip, frame_bytes = time.monotonic(), 0.0, FRAME * 2
        for i, offset in enumerate(range(0, len(pcm), frame_bytes)):
            late = time.monotonic() - (t0 + i * FRAME_S)
            slip = max(slip, late)
            await asyncio.sleep(max(0.0, -late))
            await ws.send(pcm[offset:offset + frame_bytes])
        stopped = await stop_ingest(ws)
    return {"t0": t0, "offset_s": ready["offset_s"], "send_slip_max_s": slip, "stopped": stopped}


async def record_events(url: str, events: list[tuple[float, dict]], ready: asyncio.Event) -> None:
    async with websockets.connect(url, max_size=None, ping_interval=None) as ws:
        ready.set()
        async for message in ws:
            events.append((time.monotonic(), json.loads(message)))


async def booths_session(url: str, token: str, audio: dict[str, np.ndarray]) -> dict:
    session = await create_session(url, token, {"title": "floor and booths", "channels": CHANNELS,
                                                "allowed_languages": ["en", "fr", "es"],
                                                "translation_languages": []})
    sid, events, ready = session["id"], [], asyncio.Event()
    viewer = asyncio.create_task(record_events(captions_url(url, token, sid), events, ready))
    await ready.wait()
    started = time.monotonic()
    streams = await asyncio.gather(*(stream_channel(url, token, sid, name, pcm_s16le(samples))
                                     for name, samples in audio.items()))
    wall_s = time.monotonic() - started
    await asyncio.sleep(1.5)  # the last finals reach the viewer
    viewer.cancel()
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:
        stats = await session_channels(http, sid)
    return {"events": events, "streams": dict(zip(audio, streams)), "stats": stats, "wall_s": wall_s}


# -- figures ---------------------------------------------------------------------------------
def final_lags(events: list[tuple[float, dict]], channel: str, stream: dict) -> list[tuple[float, float]]:
    """(audio time of the final's end in the channel's stream, lag in s) for every final with text."""
    out = []
    for arrived, event in events:
        if event.get("type") == "final" and event.get("channel") == channel and event.get("text"):
            audio_end = event["end"] - stream["offset_s"]
            out.append((audio_end, arrived - (stream["t0"] + audio_end)))
    return out


def lag_figures(lags: list[tuple[float, float]], seconds: float) -> dict:
    """p50/p95 over all finals, over those ending in the first third of the audio and in the last third."""
    parts = {"": [lag for _, lag in lags], "first_third_": [lag for end, lag in lags if end < seconds / 3],
             "last_third_": [lag for end, lag in lags if end >= 2 * seconds / 3]}
    out: dict = {"max_lag_s": max(parts[""], default=float("nan"))}
    for prefix, values in parts.items():
        out.update({f"{prefix}finals": len(values), f"{prefix}lag_p50_s": percentile(values, 50),
                    f"{prefix}lag_p95_s": percentile(values, 95)})
    out["p95_growth_s"] = out["last_third_lag_p95_s"] - out["first_third_lag_p95_s"]
    return out


def channel_result(name: str, run: dict, seconds: float, lag_slack_s: float) -> dict:
    stream, stats = run["streams"][name], run["stats"][name]
    lag = lag_figures(final_lags(run["events"], name, stream), seconds)
    judged = lag["first_third_finals"] and lag["last_third_finals"]
    keeps_up = (lag["p95_growth_s"] <= lag_slack_s and stream["send_slip_max_s"] < SLIP_LIMIT_S) if judged else None
    languages = sorted({e["lang"] for _, e in run["events"] if e.get("type") == "final" and e.get("channel") == name})
    return {"channel": name, "language": stats["language"], "final_languages": languages, **lag,
            "audio_s": stats["audio_s"], "finals_counted": stats["finals"], "rejected": stats["rejected"],
            "busy_s": stats["busy_s"], "busy_per_audio_s": stats["busy_s"] / max(stats["audio_s"], 1e-9),
            "partial_decodes": stats["partial_decodes"], "partials_skipped": stats["partials_skipped"],
            "send_slip_max_s": stream["send_slip_max_s"], "keeps_up": keeps_up}


def print_table(results: list[dict], model: str, wall_s: float) -> None:
    table = Table(title=f"floor + two booths, real time, {model}: final lag (s) = arrival − end of its audio")
    for col in ("channel", "finals", "lag p50", "lag p95", "1st third p50", "1st third p95", "last third p50",
                "last third p95", "max", "busy s/s", "partials", "skipped", "slip s", "keeps up"):
        table.add_column(col, justify="right")
    for r in results:
        table.add_row(r["channel"], str(r["finals"]), f"{r['lag_p50_s']:.2f}", f"{r['lag_p95_s']:.2f}",
                      f"{r['first_third_lag_p50_s']:.2f}", f"{r['first_third_lag_p95_s']:.2f}",
                      f"{r['last_third_lag_p50_s']:.2f}", f"{r['last_third_lag_p95_s']:.2f}", f"{r['max_lag_s']:.2f}",
                      f"{r['busy_per_audio_s']:.3f}", str(r["partial_decodes"]), str(r["partials_skipped"]),
                      f"{r['send_slip_max_s']:.2f}", {True: "yes", False: "NO", None: "n/a"}[r["keeps_up"]])
    Console(width=180).print(table)
    busy = sum(r["busy_s"] for r in results)
    print(f"recognition busy {busy:.0f} s (summed over the channels) in {wall_s:.0f} s of wall time: "
          f"{busy / wall_s:.2f} decoders at work on average, on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=180.0, help="audio per channel")
    parser.add_argument("--model", default="base")
    parser.add_argument("--lag-slack", type=float, default=1.0,
                        help="how far the last third's p95 lag may exceed the first third's (s)")
    parser.add_argument("--out", default=str(RESULTS / "booths.json"))
    args = parser.parse_args()
    audio = {"floor": floor_audio(args.seconds), "booth-fr": booth_audio("fr", args.seconds, 41),
             "booth-es": booth_audio("es", args.seconds, 43)}
    env = {"FLOORCAST_MODEL": args.model, "FLOORCAST_TRANSLATION": "false"}
    print(f"streaming {args.seconds:g} s into floor, booth-fr and booth-es at once ({args.model}) ...", flush=True)
    with running_server_process(env, scratch_store=True) as (url, token, _):
        run = asyncio.run(booths_session(url, token, audio))
    results = [channel_result(name, run, args.seconds, args.lag_slack) for name in audio]
    print_table(results, args.model, run["wall_s"])
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({
        "machine": platform.platform(), "when": time.strftime("%Y-%m-%d %H:%M"),
        "config": {"model": args.model, "seconds": args.seconds, "lag_slack_s": args.lag_slack,
                   "channels": CHANNELS}, "wall_s": run["wall_s"], "results": results,
        "stopped": {name: s["stopped"] for name, s in run["streams"].items()}}, indent=2, ensure_ascii=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
