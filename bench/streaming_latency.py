"""Streaming latency, WER and compute of the live recogniser, through the running server.

For each configuration (model × policy) a real ``floorcast serve`` is started,
eval clips are streamed into one session at real-time pace (100 ms frames,
2 s of silence between clips), and a viewer websocket records every event with
its arrival time. Per word of every final (word end from the final's word
timestamps): **first appearance** = first event of that segment showing the
word, **stable** = first event whose stable prefix (or final) holds it; latency
= arrival − word end. Streaming WER is compared with the same model's offline
WER (faster-whisper ``transcribe``, beam 5) on the same clips; busy time is
the recogniser's decode time per second of audio.

    python bench/streaming_latency.py [--configs base:vad,tiny.en:vad,base:naive,tiny.en:naive] [--clips standard|en|meeting]

Prints a table and writes bench/results/streaming_latency.json.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import platform
import sys
import time
from pathlib import Path

import httpx
import jiwer
import numpy as np
import websockets
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.common import Clip, clip_set, load_pcm16, normalize, percentile, running_server  # noqa: E402
from bench.meeting_live import run_meeting  # noqa: E402

FRAME_S = 0.1
GAP_S = 2.0
RESULTS = Path(__file__).resolve().parent / "results"


def joined_clips(clips: list[Clip]) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """The clips one after another, 2 s of silence between them, and where each lies."""
    pieces, ranges, t = [np.zeros(int(16000 * 1.0), np.float32)], [], 1.0
    for clip in clips:
        audio = load_pcm16(clip.path)
        ranges.append((t, t + len(audio) / 16000))
        t += len(audio) / 16000 + GAP_S
        pieces += [audio, np.zeros(int(16000 * GAP_S), np.float32)]
    return np.concatenate(pieces), ranges


async def stream_session(url: str, token: str, audio: np.ndarray, ranges: list[tuple[float, float]],
                         speed: float = 1.0, languages: list[str] | None = None,
                         translation_languages: list[str] | None = None) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    body: dict = {"title": "bench"}
    if languages:
        body["allowed_languages"] = languages
    if translation_languages is not None:
        body["translation_languages"] = translation_languages
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        session = (await http.post("/v1/sessions", json=body)).raise_for_status().json()
    sid = session["id"]
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    events: list[tuple[float, dict]] = []
    t0: list[float] = []
    ws_base = url.replace("http", "ws", 1) + f"/v1/sessions/{sid}"

    async def viewer(ready: asyncio.Event) -> None:
        async with websockets.connect(f"{ws_base}/captions?token={token}", max_size=None, ping_interval=None) as ws:
            ready.set()
            async for message in ws:
                events.append((time.monotonic() - t0[0] if t0 else 0.0, json.loads(message)))

    ready = asyncio.Event()
    task = asyncio.create_task(viewer(ready))
    await ready.wait()
    frame = int(16000 * FRAME_S) * 2
    async with websockets.connect(f"{ws_base}/audio", additional_headers=headers, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "start", "encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1}))
        await ws.recv()
        t0.append(time.monotonic())
        for i, offset in enumerate(range(0, len(pcm), frame)):
            due = t0[0] + i * FRAME_S / speed
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await ws.send(pcm[offset:offset + frame])
        await ws.send(json.dumps({"type": "stop"}))
        stopped = json.loads(await ws.recv())
    await asyncio.sleep(1.5)
    task.cancel()
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        stats = (await http.get(f"/v1/sessions/{sid}")).json()["channels"][0]
    return {"events": events, "ranges": ranges, "stats": stats, "stopped": stopped}


def word_latencies(events: list[tuple[float, dict]]) -> tuple[list[float], list[float]]:
    by_segment: dict[str, list[tuple[float, dict]]] = {}
    for arrived, ev in events:
        if ev.get("type") in ("partial", "final"):
            by_segment.setdefault(ev["segment_id"], []).append((arrived, ev))
    first, stable = [], []
    for seg in by_segment.values():
        finals = [(a, e) for a, e in seg if e["type"] == "final"]
        if not finals or not finals[0][1]["words"]:
            continue
        final_at, final = finals[0]
        units = [(normalize(w["word"]), w["end"]) for w in final["words"]]
        units = [(u, end) for u, end in units if u and " " not in u]
        views = [(a, normalize(e["text"]).split(), normalize(e["text"][:e.get("stable", len(e["text"]))]).split())
                 for a, e in seg if e["type"] == "partial"]
        final_units = [u for u, _ in units]
        shown = [(a, _matched(words, final_units)) for a, words, _ in views]
        for i, (unit, end_s) in enumerate(units):
            seen = [a for a, matched in shown if i in matched]
            held = [a for a, _, st in views if len(st) > i and st[i] == unit]
            first.append(min(seen + [final_at]) - end_s)
            stable.append(min(held + [final_at]) - end_s)
    return first, stable


def _matched(partial: list[str], final: list[str]) -> set[int]:
    """Indices of the final's words that a partial shows (aligned, so one early error does not hide the rest)."""
    matcher = difflib.SequenceMatcher(a=partial, b=final, autojunk=False)
    return {block.b + k for block in matcher.get_matching_blocks() for k in range(block.size)}


def streaming_hypotheses(run: dict, clips: list[Clip]) -> list[str]:
    finals = [e for _, e in run["events"] if e.get("type") == "final" and e["text"]]
    out = []
    for (a, b) in run["ranges"]:
        inside = [e for e in finals if a - GAP_S / 2 <= (e["start"] + e["end"]) / 2 <= b + GAP_S / 2]
        out.append(" ".join(e["text"] for e in sorted(inside, key=lambda e: e["start"])))
    return out


def offline_hypotheses(model: str, clips: list[Clip]) -> tuple[list[str], float]:
    from faster_whisper import WhisperModel

    from models.provisioning import resolve_model
    from service.settings import Settings

    resolved = resolve_model(model, Settings().data_dir.resolve())
    whisper = WhisperModel(str(resolved.path), device="cpu", compute_type="int8", cpu_threads=2)
    hyps, busy, audio = [], 0.0, 0.0
    for clip in clips:
        samples = load_pcm16(clip.path)
        t = time.perf_counter()
        segments, _ = whisper.transcribe(samples, beam_size=5)
        hyps.append(" ".join(s.text for s in segments))
        busy += time.perf_counter() - t
        audio += len(samples) / 16000
    return hyps, busy / audio


def wer(refs: list[str], hyps: list[str]) -> float:
    return float(jiwer.wer([normalize(r) for r in refs], [normalize(h) or "<empty>" for h in hyps]))


def run_config(model: str, policy: str, clips: list[Clip], events_dir: str | None = None) -> dict:
    if model.endswith(".en"):
        clips = [c for c in clips if c.language == "en"]
    offline, offline_rtf = offline_hypotheses(model, clips)
    env = {"FLOORCAST_MODEL": model, "FLOORCAST_RECOGNIZER_POLICY": policy}
    if policy == "naive":  # it cannot keep up: let its backlog grow instead of pushing back on the sender
        env["FLOORCAST_AUDIO_QUEUE_S"] = "3600"
    with running_server(env) as (url, token):
        run = asyncio.run(stream_session(url, token, *joined_clips(clips)))
    first, stable = word_latencies(run["events"])
    if events_dir:
        Path(events_dir).mkdir(parents=True, exist_ok=True)
        (Path(events_dir) / f"events-{model}-{policy}.json").write_text(json.dumps(run, ensure_ascii=False))
    refs = [c.reference for c in clips]
    streamed = streaming_hypotheses(run, clips)
    stats = run["stats"]
    lag = max((a - e["end"] for a, e in run["events"] if e.get("type") == "final"), default=float("nan"))
    return {
        "model": model, "policy": policy, "clips": len(clips), "audio_s": stats["audio_s"],
        "words": len(first),
        "first_p50_s": percentile(first, 50), "first_p95_s": percentile(first, 95),
        "stable_p50_s": percentile(stable, 50), "stable_p95_s": percentile(stable, 95),
        "wer_streaming": wer(refs, streamed), "wer_offline": wer(refs, offline),
        "busy_per_audio_s": stats["busy_s"] / stats["audio_s"] if stats["audio_s"] else float("nan"),
        "offline_busy_per_audio_s": offline_rtf, "max_final_lag_s": lag,
        "partial_decodes": stats["partial_decodes"], "partials_skipped": stats["partials_skipped"],
        "finals": stats["finals"], "rejected": stats["rejected"],
        "per_clip": [{"clip": str(c.path.name), "lang": c.language, "streamed": s, "offline": o}
                     for c, s, o in zip(clips, streamed, offline)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="base:vad,tiny.en:vad,base:naive,tiny.en:naive")
    parser.add_argument("--clips", default="standard", choices=["standard", "en", "meeting"],
                        help="meeting: the meeting-like passages of bench/meeting_passages.py, one session each")
    parser.add_argument("--events-dir", default=None, help="also save every received event here")
    parser.add_argument("--out", default=str(RESULTS / "streaming_latency.json"))
    args = parser.parse_args()
    clips = clip_set("standard" if args.clips == "meeting" else args.clips)
    results = []
    for spec in args.configs.split(","):
        model, policy = spec.split(":")
        print(f"running {model} / {policy} on {args.clips} ...", flush=True)
        if args.clips == "meeting":
            results.append(run_meeting(model, policy, stream_session, word_latencies))
        else:
            results.append(run_config(model, policy, clips, args.events_dir))
    table = Table(title="live captioning, real-time streaming through the server (seconds)")
    cols = ["model", "policy", "words", "first p50", "first p95", "stable p50", "stable p95", "WER stream",
            "WER offline", "ratio", "busy s/s", "max final lag"]
    for col in cols:
        table.add_column(col, justify="right")
    for r in results:
        table.add_row(r["model"], r["policy"], str(r["words"]), f"{r['first_p50_s']:.2f}", f"{r['first_p95_s']:.2f}",
                      f"{r['stable_p50_s']:.2f}", f"{r['stable_p95_s']:.2f}", f"{r['wer_streaming']:.3f}",
                      f"{r['wer_offline']:.3f}", f"{r['wer_streaming'] / r['wer_offline']:.2f}",
                      f"{r['busy_per_audio_s']:.3f}", f"{r['max_final_lag_s']:.2f}")
    Console().print(table)
    by = {(r["model"], r["policy"]): r for r in results}
    ratios = {}
    for model in {r["model"] for r in results}:
        if (model, "vad") in by and (model, "naive") in by:
            v, n = by[(model, "vad")], by[(model, "naive")]
            ratios[model] = {k: n[k] / v[k] for k in ("first_p50_s", "stable_p50_s", "busy_per_audio_s", "wer_streaming")
                             if v[k]}
            print(f"{model}: naive/vad ratios " + ", ".join(f"{k}={x:.2f}" for k, x in ratios[model].items()))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": platform.platform(), "when": time.strftime("%Y-%m-%d %H:%M"),
                                          "results": results, "naive_over_vad": ratios}, indent=2, ensure_ascii=False))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
