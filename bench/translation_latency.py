"""Translation latency of live finals, and what translating costs recognition, through the running server.

Three configurations of one real ``floorcast serve`` (model base), each fed the
same English clips at real-time pace in one session, with six viewers open:
as spoken, and ``?lang=`` fr, es, ru, ar, zh.

* ``off``: ``FLOORCAST_TRANSLATION=false`` (recognition alone);
* ``apertium``: the Debian Apertium engine (en->es direct, en->fr through es;
  ru, ar, zh have no engine and get the original, untranslated);
* ``standin``: argos packages built like the tests' stand-in (tiny real
  CTranslate2 transformers + sentencepiece, meaningless output) for en->fr,
  es, ru, ar, zh, installed with ``floorcast models install-translation``;
* ``libretranslate``: the same five packages in a real LibreTranslate server
  (``.venv-libretranslate``, see tests/libretranslate_server.py), chosen for
  every direction with ``FLOORCAST_TRANSLATION_ENGINES``: against ``standin``,
  what the HTTP hop to a server costs.

Per final and target language: translation latency = arrival of the
translated final − arrival of the source final at the viewers; "all five" =
the last of the five. Recognition latency per word (first appearance and
stable, as in streaming_latency.py) is compared with ``off``.

    python bench/translation_latency.py [--configs off,apertium,standin,libretranslate] [--clips en]

Prints a table and writes bench/results/translation_latency.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import websockets
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from bench.common import Clip, clip_set, eval_dir, load_pcm16, percentile, running_server  # noqa: E402
from bench.streaming_latency import word_latencies  # noqa: E402

FRAME_S = 0.1
GAP_S = 2.0
TARGETS = ("fr", "es", "ru", "ar", "zh")
RESULTS = ROOT / "bench" / "results"


def standin_archives(root: Path) -> list[Path]:
    from argos_package import build_argosmodel

    corpus = eval_dir() / "mt" / "un_v1.0"
    return [build_argosmodel("en", lang, root / "pkgs", corpus_dir=corpus, seed=n) for n, lang in enumerate(TARGETS)]


def standin_data_dir(root: Path) -> Path:
    archives = standin_archives(root)
    data = root / "data"
    subprocess.run([sys.executable, "-m", "service.cli", "models", "install-translation", *map(str, archives)],
                   cwd=ROOT, check=True, env={"FLOORCAST_DATA_DIR": str(data), "PATH": "/usr/bin:/bin",
                                              "FLOORCAST_ADMIN_TOKEN": "x" * 24}, stdout=subprocess.DEVNULL)
    return data


async def stream_with_viewers(url: str, token: str, clips: list[Clip]) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        session = (await http.post("/v1/sessions", json={"title": "bench"})).raise_for_status().json()
    sid = session["id"]
    pieces = [np.zeros(16000, np.float32)]
    for clip in clips:
        pieces += [load_pcm16(clip.path), np.zeros(int(16000 * GAP_S), np.float32)]
    pcm = (np.clip(np.concatenate(pieces), -1, 1) * 32767).astype("<i2").tobytes()
    ws_base = url.replace("http", "ws", 1) + f"/v1/sessions/{sid}"
    received: dict[str, list[tuple[float, dict]]] = {view: [] for view in ("spoken", *TARGETS)}
    t0: list[float] = []

    async def viewer(view: str, ready: asyncio.Event) -> None:
        query = "" if view == "spoken" else f"&lang={view}"
        async with websockets.connect(f"{ws_base}/captions?token={token}{query}", max_size=None) as ws:
            ready.set()
            async for message in ws:
                received[view].append((time.monotonic() - (t0[0] if t0 else time.monotonic()), json.loads(message)))

    readies = {view: asyncio.Event() for view in received}
    tasks = [asyncio.create_task(viewer(view, readies[view])) for view in received]
    await asyncio.gather(*(r.wait() for r in readies.values()))
    frame = int(16000 * FRAME_S) * 2
    async with websockets.connect(f"{ws_base}/audio", additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "start", "sample_rate": 16000}))
        await ws.recv()
        t0.append(time.monotonic())
        for i, offset in enumerate(range(0, len(pcm), frame)):
            await asyncio.sleep(max(0.0, t0[0] + i * FRAME_S - time.monotonic()))
            await ws.send(pcm[offset:offset + frame])
        await ws.send(json.dumps({"type": "stop"}))
        await ws.recv()
    await asyncio.sleep(3.0)
    for task in tasks:
        task.cancel()
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        stats = (await http.get(f"/v1/sessions/{sid}")).json()["channels"][0]
    return {"received": received, "stats": stats}


def translation_latencies(received: dict) -> dict:
    source_at = {e["segment_id"]: a for a, e in received["spoken"] if e.get("type") == "final" and e["text"]}
    per_lang, last_of_five, untranslated = {}, {}, {}
    for lang in TARGETS:
        arrived = {e["segment_id"]: (a, e) for a, e in received[lang]
                   if e.get("type") == "final" and e.get("source_lang")}
        per_lang[lang] = [arrived[s][0] - t for s, t in source_at.items() if s in arrived]
        untranslated[lang] = sum(1 for _, e in arrived.values() if not e["translated"])
        for s, t in source_at.items():
            if s in arrived:
                last_of_five[s] = max(last_of_five.get(s, 0.0), arrived[s][0] - t)
    missing = sum(1 for lang in TARGETS for s in source_at if s not in {
        e["segment_id"] for _, e in received[lang] if e.get("type") == "final"})
    return {"per_lang": per_lang, "all_five": list(last_of_five.values()), "untranslated": untranslated,
            "finals": len(source_at), "missing_translations": missing}


def run_config(name: str, clips: list[Clip], scratch: Path) -> dict:
    env = {"FLOORCAST_MODEL": "base"}
    if name == "off":
        env["FLOORCAST_TRANSLATION"] = "false"
    elif name == "standin":
        env["FLOORCAST_DATA_DIR"] = str(standin_data_dir(scratch / "standin"))
    if name == "libretranslate":
        from libretranslate_server import LibreTranslateServer

        root = scratch / "libretranslate"
        server = LibreTranslateServer(root, standin_archives(root), languages=",".join(("en", *TARGETS))).start()
        env.update(FLOORCAST_LIBRETRANSLATE_URL=server.url, FLOORCAST_TRANSLATION_ENGINES=json.dumps(
            {f"en-{lang}": "libretranslate" for lang in TARGETS}))
    try:
        with running_server(env) as (url, token):
            run = asyncio.run(stream_with_viewers(url, token, clips))
    finally:
        if name == "libretranslate":
            server.stop()
    first, stable = word_latencies(run["received"]["spoken"])
    result = {"config": name, "finals": 0, "first_p50_s": percentile(first, 50), "first_p95_s": percentile(first, 95),
              "stable_p50_s": percentile(stable, 50), "stable_p95_s": percentile(stable, 95),
              "busy_per_audio_s": run["stats"]["busy_s"] / run["stats"]["audio_s"], "words": len(first)}
    if name != "off":
        t = translation_latencies(run["received"])
        result.update(finals=t["finals"], missing_translations=t["missing_translations"],
                      untranslated=t["untranslated"],
                      all_five_p50_s=percentile(t["all_five"], 50), all_five_p95_s=percentile(t["all_five"], 95),
                      per_lang={lang: {"p50_s": percentile(v, 50), "p95_s": percentile(v, 95), "n": len(v)}
                                for lang, v in t["per_lang"].items()})
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="off,apertium,standin,libretranslate")
    parser.add_argument("--clips", default="en", choices=["standard", "en"])
    parser.add_argument("--limit", type=int, default=0, help="only the first N clips (smoke run)")
    parser.add_argument("--out", default=str(RESULTS / "translation_latency.json"))
    args = parser.parse_args()
    clips = [c for c in clip_set(args.clips) if c.language == "en"]
    clips = clips[:args.limit] if args.limit else clips
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for name in args.configs.split(","):
            print(f"running {name} on {len(clips)} clips ...", flush=True)
            results.append(run_config(name, clips, Path(scratch)))
    off = next((r for r in results if r["config"] == "off"), None)
    table = Table(title="translation of live finals into five languages (seconds after the source final)")
    for col in ("config", "finals", "all five p50", "all five p95", *(f"{l} p50/p95" for l in TARGETS),
                "stable p50", "stable p95", "stable p50 / off", "busy s/s"):
        table.add_column(col, justify="right")
    for r in results:
        langs = [f"{r['per_lang'][l]['p50_s']:.2f}/{r['per_lang'][l]['p95_s']:.2f}" if "per_lang" in r else "-"
                 for l in TARGETS]
        ratio = r["stable_p50_s"] / off["stable_p50_s"] if off else float("nan")
        r["stable_p50_over_off"] = ratio
        r["first_p50_over_off"] = r["first_p50_s"] / off["first_p50_s"] if off else float("nan")
        table.add_row(r["config"], str(r["finals"]), f"{r.get('all_five_p50_s', float('nan')):.2f}",
                      f"{r.get('all_five_p95_s', float('nan')):.2f}", *langs, f"{r['stable_p50_s']:.2f}",
                      f"{r['stable_p95_s']:.2f}", f"{ratio:.2f}", f"{r['busy_per_audio_s']:.3f}")
    Console(width=220).print(table)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": platform.platform(), "when": time.strftime("%Y-%m-%d %H:%M"),
                                          "clips": [c.path.name for c in clips], "results": results}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
