"""Caption outputs under a live floor: what delivering to Zoom/YouTube/webhooks costs the viewers, and its lag.

One ``floorcast serve`` (model base, Apertium for en->es and en->fr), one
session, one ingest client streaming English eval clips at real-time pace for
``--minutes``, three viewers (en, es, fr). Configurations:

* ``none`` — no outputs;
* ``six`` — Zoom en/es/fr, YouTube en, webhook en/es to healthy loopback receivers;
* ``six+bad`` — the six, plus two destinations that accept TCP and never answer and one that
  fails 50 % of posts with 503 (retried).

Measured per configuration: viewer delivery delay (arrival − ``published_at``,
all events of the three viewers), output lag (receiver arrival − the
``published_at`` of the final it carries: the k-th accepted post of an output
is its language's k-th non-empty final), finals delivered vs. finals released,
seq discipline (gaps, retries), and the server's CPU seconds (utime+stime from
/proc) per audio second.

    python bench/output_delivery.py [--minutes 2] [--configs none,six,six+bad]

Prints a table and writes bench/results/output_delivery.json.
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
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from bench.common import (captions_url, clip_set, ingest_socket, load_pcm16, pcm_s16le, percentile,  # noqa: E402
                          running_server_process, stop_ingest)
from caption_receivers import BlackHole, CaptionReceiver  # noqa: E402

RESULTS = ROOT / "bench" / "results"
FRAME = 3200  # bytes: 100 ms at 16 kHz
HEALTHY = [("zoom", "en"), ("zoom", "es"), ("zoom", "fr"), ("youtube", "en"), ("webhook", "en"), ("webhook", "es")]


class FlakyReceiver(CaptionReceiver):
    """Fails about half its posts with 503 (seeded)."""

    def __post_init__(self) -> None:
        super().__post_init__()
        rng = random.Random(7)
        original = self._server.RequestHandlerClass.do_POST
        receiver = self

        def flaky(handler) -> None:
            receiver.status = 503 if rng.random() < 0.5 else 200
            original(handler)

        self._server.RequestHandlerClass.do_POST = flaky


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _viewer(url: str, lang: str, events: list[tuple[float, dict]], stop: asyncio.Event) -> None:
    async with websockets.connect(f"{url}&lang={lang}", max_size=None, ping_interval=None) as ws:
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except asyncio.TimeoutError:
                continue
            events.append((time.time(), json.loads(raw)))


async def _run(url: str, token: str, pid: int, config: str, pcm: bytes) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        session = (await http.post("/v1/sessions", json={"title": f"bench {config}",
                                                           "translation_languages": ["es", "fr"]})).json()
        sid = session["id"]
        receivers: list[tuple[str, str, object]] = []
        with _Receivers(config) as made:
            for kind, lang, receiver, path in made:
                answer = await http.post(f"/v1/sessions/{sid}/outputs",
                                         json={"kind": kind, "url": f"{receiver.url}{path}", "language": lang})
                answer.raise_for_status()
                receivers.append((kind, lang, receiver, answer.json()["id"]))
            views = {lang: [] for lang in ("en", "es", "fr")}
            stop = asyncio.Event()
            base = captions_url(url, token, sid)
            tasks = [asyncio.create_task(_viewer(base, lang, events, stop)) for lang, events in views.items()]
            await asyncio.sleep(1.0)
            cpu0, audio_s = _cpu_s(pid), len(pcm) / 32000
            async with ingest_socket(url, token, sid) as (ws, _):
                started = time.monotonic()
                for n, i in enumerate(range(0, len(pcm), FRAME)):
                    await ws.send(pcm[i:i + FRAME])
                    await asyncio.sleep(max(0.0, started + (n + 1) * 0.1 - time.monotonic()))
                await stop_ingest(ws)
            await asyncio.sleep(8.0)  # outputs drain (a flaky destination needs its retries)
            cpu_s = _cpu_s(pid) - cpu0
            shown = {o["id"]: o for o in (await http.get(f"/v1/sessions/{sid}/outputs")).json()}
            stop.set()
            await asyncio.gather(*tasks)
            return _summary(config, views, receivers, shown, cpu_s, audio_s)


class _Receivers:
    def __init__(self, config: str) -> None:
        self.config = config
        self.open: list = []

    def __enter__(self) -> list[tuple[str, str, object, str]]:
        made = []
        if self.config == "none":
            return made
        for kind, lang in HEALTHY:
            receiver = CaptionReceiver().__enter__()
            self.open.append(receiver)
            made.append((kind, lang, receiver, "/closedcaption?id=1" if kind != "webhook" else "/hook"))
        if self.config == "six+bad":
            for _ in range(2):
                hole = BlackHole().__enter__()
                self.open.append(hole)
                made.append(("zoom", "en", hole, "/closedcaption?id=2"))
            flaky = FlakyReceiver().__enter__()
            self.open.append(flaky)
            made.append(("zoom", "en", flaky, "/closedcaption?id=3"))
        return made

    def __exit__(self, *exc) -> None:
        for receiver in self.open:
            receiver.__exit__(None, None, None)


def _summary(config: str, views: dict, receivers: list, shown: dict, cpu_s: float, audio_s: float) -> dict:
    delays = [at - e["published_at"] for events in views.values() for at, e in events if "published_at" in e]
    finals = {lang: [e for _, e in events if e["type"] == "final" and e["text"].strip()]
              for lang, events in views.items()}
    lags: list[float] = []
    outputs = []
    for kind, lang, receiver, output_id in receivers:
        state = shown[output_id]
        accepted = receiver.accepted() if isinstance(receiver, CaptionReceiver) else []
        seqs = [int(r.param("seq")) for r in accepted] if kind != "webhook" else []
        gaps = sum(1 for a, b in zip(seqs, seqs[1:]) if b != a + 1)
        if kind == "youtube":  # batched posts: the first caption of each post
            carried, k = [], 0
            for r in accepted:
                carried.append((r.at, finals[lang][k]))
                k += r.body.count(b"\n") // 2
        else:
            carried = list(zip((r.at for r in accepted), finals[lang]))
        own = [at - final["published_at"] for at, final in carried]
        if isinstance(receiver, CaptionReceiver) and not isinstance(receiver, FlakyReceiver):
            lags += own
        outputs.append({"kind": kind, "language": lang, "healthy": isinstance(receiver, CaptionReceiver)
                        and not isinstance(receiver, FlakyReceiver), "flaky": isinstance(receiver, FlakyReceiver),
                        "finals": len(finals[lang]), "delivered": state["delivered"], "failed": state["failed"],
                        "retries": state.get("retries", 0), "queued": state.get("queued", 0), "seq_gaps": gaps,
                        "lag_median_s": round(percentile(own, 50), 3) if own else None,
                        "lag_p95_s": round(percentile(own, 95), 3) if own else None})
    return {"config": config, "outputs": len(receivers), "audio_s": round(audio_s, 1),
            "finals": {lang: len(v) for lang, v in finals.items()},
            "viewer_delay_median_s": round(percentile(delays, 50), 4),
            "viewer_delay_p95_s": round(percentile(delays, 95), 4),
            "viewer_delay_max_s": round(max(delays), 3) if delays else None,
            "output_lag_median_s": round(percentile(lags, 50), 3) if lags else None,
            "output_lag_p95_s": round(percentile(lags, 95), 3) if lags else None,
            "cpu_s_per_audio_s": round(cpu_s / audio_s, 3), "per_output": outputs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--configs", default="none,six,six+bad")
    args = parser.parse_args()
    clips = [c for c in clip_set("english") if c.language == "en"]
    audio, total = [], 0
    while total < args.minutes * 60 * 16000:
        for c in clips:
            samples = load_pcm16(c.path)
            audio.append(pcm_s16le(samples))
            total += len(samples)
            if total >= args.minutes * 60 * 16000:
                break
    pcm = b"".join(audio)
    rows = []
    with running_server_process({"FLOORCAST_MODEL": "base"}, scratch_store=True) as (url, token, proc):
        for config in args.configs.split(","):
            rows.append(asyncio.run(_run(url, token, proc.pid, config, pcm)))
            r = rows[-1]
            print(f"{config:8s} outputs {r['outputs']:2d}  viewer delay median {r['viewer_delay_median_s'] * 1000:6.1f} ms"
                  f"  p95 {r['viewer_delay_p95_s'] * 1000:6.1f} ms  output lag median {r['output_lag_median_s']} s"
                  f"  p95 {r['output_lag_p95_s']} s  cpu/audio {r['cpu_s_per_audio_s']}", flush=True)
    print("\nper output (last configuration):")
    for o in rows[-1]["per_output"]:
        print(f"  {o['kind']:8s} {o['language']}  finals {o['finals']:3d}  delivered {o['delivered']:3d}  failed "
              f"{o['failed']:2d}  retries {o['retries']:3d}  queued {o['queued']:3d}  seq gaps {o['seq_gaps']}"
              f"  lag median {o['lag_median_s']} s  p95 {o['lag_p95_s']} s"
              + ("  (never answers)" if not o["healthy"] and not o["flaky"] else "  (50% 503)" if o["flaky"] else ""))
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, "minutes": args.minutes,
           "configs": rows}
    (RESULTS / "output_delivery.json").write_text(json.dumps(out, indent=2) + "\n")
    print(f"\nwrote {RESULTS / 'output_delivery.json'}")


if __name__ == "__main__":
    main()
