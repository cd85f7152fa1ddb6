"""Fan-out under load: 4 ingest streams (tiny.en) and 1,000 caption viewers for 10 minutes, on loopback.

Configurations: ``single`` (one ``floorcast serve``, in-process fan-out) and
``redis`` (two instances sharing a real ``redis-server`` and one record;
sessions recorded on instance a, viewers spread over a and b). Translation is
off: this measures recognition + fan-out, not the translators.

Each of 4 sessions gets one ingest client looping English eval clips at
real-time pace; the viewers are spread evenly over the sessions, opened in
viewer client processes (``--client-processes``) so that the client side is
not the bottleneck. Every event carries ``published_at`` (the server's wall
clock when it left the outbox); fan-out delay = arrival − published_at, per
event per viewer. At the end every viewer's set of finals is compared with
the session's stored transcript: a missing final counts as lost. Server RSS is
sampled every 5 s. Caption lag = a final's published_at − the wall time its
last audio frame was sent (the ingest paces audio at real time), i.e. how far
the finals trail the speaker, recognition included.

``--inference-nice`` sets FLOORCAST_INFERENCE_NICE (how far below the event
loop recognition runs; 0 = same priority as the loop) to compare the two.

    python bench/fanout_load.py [--configs single,redis] [--minutes 10] [--viewers 1000] [--inference-nice 10]

Prints a table and writes bench/results/fanout_load.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
from bench.common import clip_set, load_pcm16, percentile  # noqa: E402
from support import ServerProcess, free_port  # noqa: E402

RESULTS = ROOT / "bench" / "results"
SESSIONS = 4


# -- viewer client processes ---------------------------------------------------------------
async def _viewers(urls: list[str], duration_s: float, out: "mp.Queue") -> None:
    delays: list[float] = []
    finals: dict[str, set[str]] = {}
    final_times: dict[str, tuple[float, float]] = {}  # "sid/segment" -> (end in the session, published_at)
    closed_early = 0

    async def one(url: str, key: str) -> None:
        nonlocal closed_early
        seen: set[str] = set()
        finals[key] = seen
        deadline = time.monotonic() + duration_s
        try:
            async with websockets.connect(url, max_size=None, open_timeout=60, ping_interval=None) as ws:
                while time.monotonic() < deadline:
                    try:
                        raw = await asyncio.wait_for(ws.recv(), max(0.1, deadline - time.monotonic()))
                    except asyncio.TimeoutError:
                        break
                    now = time.time()
                    event = json.loads(raw)
                    if "published_at" in event:
                        delays.append(now - event["published_at"])
                    if event.get("type") == "final" and event.get("text"):
                        seen.add(event["segment_id"])
                        final_times[f"{event['session_id']}/{event['segment_id']}"] = (event["end"],
                                                                                      event["published_at"])
        except websockets.ConnectionClosed:
            closed_early += 1

    await asyncio.gather(*(one(url, f"{os.getpid()}-{n}|{url.split('/sessions/')[1].split('/')[0]}")
                           for n, url in enumerate(urls)))
    out.put({"delays": delays[::5] if len(delays) > 400_000 else delays,
             "finals": {k: sorted(v) for k, v in finals.items()}, "closed_early": closed_early,
             "final_times": final_times})


def _client_process(urls: list[str], duration_s: float, out: "mp.Queue") -> None:
    asyncio.run(_viewers(urls, duration_s, out))


# -- ingest ----------------------------------------------------------------------------------
async def _ingest(base_ws: str, token: str, session_id: str, pcm: bytes, duration_s: float) -> float:
    """Stream at real-time pace; return the wall time at which audio time 0 was sent."""
    headers = {"Authorization": f"Bearer {token}"}
    async with websockets.connect(f"{base_ws}/v1/sessions/{session_id}/audio", additional_headers=headers) as ws:
        await ws.send(json.dumps({"type": "start", "sample_rate": 16000}))
        ready = json.loads(await ws.recv())
        t0 = time.monotonic()
        wall0 = time.time() - ready.get("offset_s", 0.0)
        frame, i = 3200, 0
        while time.monotonic() - t0 < duration_s:
            offset = (i * frame) % len(pcm)
            await asyncio.sleep(max(0.0, t0 + i * 0.1 - time.monotonic()))
            await ws.send(pcm[offset:offset + frame])
            i += 1
        await ws.send(json.dumps({"type": "stop"}))
        await asyncio.wait_for(ws.recv(), 120)
    return wall0


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(config: str, minutes: float, viewers: int, processes: int, nice: int) -> dict:
    scratch = Path(tempfile.mkdtemp(prefix="fanout-"))
    (scratch / "data").mkdir()
    env = {"FLOORCAST_TRANSLATION": "false", "FLOORCAST_VIEWER_QUEUE_EVENTS": "512",
           "FLOORCAST_INFERENCE_NICE": str(nice),
           # every viewer and stream comes from 127.0.0.1 here: lift the per-address cap (1,000) above them
           "FLOORCAST_MAX_SOCKETS_PER_CLIENT": str(viewers + 100)}
    redis = None
    if config == "redis":
        port = free_port()
        redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no"], stdout=subprocess.DEVNULL)
        env.update(FLOORCAST_REDIS_URL=f"redis://127.0.0.1:{port}/0",
                   FLOORCAST_DATABASE_URL=f"sqlite:///{scratch / 'data' / 'floorcast.db'}")
    servers = [ServerProcess(scratch / "data", scratch / "a.log", model="tiny.en",
                             env={**env, "FLOORCAST_INSTANCE_ID": "a"})]
    duration_s = minutes * 60
    try:
        servers[0].start()
        if config == "redis":
            servers.append(ServerProcess(scratch / "data", scratch / "b.log", model="tiny.en",
                                         env={**env, "FLOORCAST_INSTANCE_ID": "b"}, token=servers[0].token).start())
        token = servers[0].token
        clips = [c for c in clip_set("en")]
        pcm = (np.clip(np.concatenate([load_pcm16(c.path) for c in clips]), -1, 1) * 32767).astype("<i2").tobytes()
        with httpx.Client(base_url=servers[0].live.base_url, headers={"Authorization": f"Bearer {token}"}) as http:
            sessions = [http.post("/v1/sessions", json={"title": f"load {n}", "translation_languages": []}).json()["id"]
                        for n in range(SESSIONS)]
        urls = [f"{servers[n % len(servers)].live.ws_url}/v1/sessions/{sessions[n % SESSIONS]}/captions"
                f"?token={token}&recent=0" for n in range(viewers)]
        out: mp.Queue = mp.Queue()
        clients = [mp.Process(target=_client_process, args=(urls[k::processes], duration_s + 20, out))
                   for k in range(processes)]
        for client in clients:
            client.start()
        time.sleep(8)  # let every viewer connect before the audio starts
        rss: list[tuple[float, float]] = []
        started = time.monotonic()

        async def stream_all() -> None:
            async def sample() -> None:
                while time.monotonic() - started < duration_s + 10:
                    rss.append((time.monotonic() - started, sum(_rss_mb(s.process.pid) for s in servers)))
                    await asyncio.sleep(5)
            sampler = asyncio.create_task(sample())
            starts = await asyncio.gather(*(_ingest(servers[0].live.ws_url, token, sid, pcm, duration_s)
                                            for sid in sessions))
            await sampler
            return dict(zip(sessions, starts))

        wall0 = asyncio.run(stream_all())
        results = [out.get(timeout=300) for _ in clients]
        for client in clients:
            client.join(30)
        with httpx.Client(base_url=servers[0].live.base_url, headers={"Authorization": f"Bearer {token}"}) as http:
            stored = {sid: {line["segment_id"] for line in
                            http.get(f"/v1/sessions/{sid}/transcript").json()["lines"] if line["text"]}
                      for sid in sessions}
    finally:
        for server in servers:
            server.stop()
        if redis is not None:
            redis.kill()
        shutil.rmtree(scratch, ignore_errors=True)
    delays = [d * 1000 for r in results for d in r["delays"]]
    lost = incomplete = 0
    for r in results:
        for key, seen in r["finals"].items():
            sid = key.split("|")[1]
            missing = stored[sid] - set(seen)
            lost += len(missing)
            incomplete += bool(missing)
    # a final's last frame (audio time `end`) was sent 0.1 s before wall0 + end: frames go out as they begin
    finals_seen = {key: times for r in results for key, times in r["final_times"].items()}
    lags = [(published - (wall0[key.split("/")[0]] + end - 0.1)) * 1000 for key, (end, published) in finals_seen.items()]
    first_min = [m for t, m in rss if 60 <= t < 120]
    last_min = [m for t, m in rss if t >= duration_s - 60]
    return {"config": config, "inference_nice": nice, "minutes": minutes, "viewers": viewers, "streams": SESSIONS,
            "events_received": len(delays), "delay_p50_ms": percentile(delays, 50),
            "delay_p99_ms": percentile(delays, 99), "delay_max_ms": max(delays) if delays else float("nan"),
            "caption_lag_p50_ms": percentile(lags, 50), "caption_lag_p95_ms": percentile(lags, 95),
            "finals_stored": sum(len(v) for v in stored.values()), "finals_lost": lost,
            "viewers_incomplete": incomplete, "viewers_closed_early": sum(r["closed_early"] for r in results),
            "rss_mb_minute_2": float(np.median(first_min)) if first_min else float("nan"),
            "rss_mb_last_minute": float(np.median(last_min)) if last_min else float("nan"),
            "rss_samples": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", default="single,redis")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--viewers", type=int, default=1000)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--inference-nice", type=int, default=10, help="FLOORCAST_INFERENCE_NICE for the servers")
    parser.add_argument("--out", default=str(RESULTS / "fanout_load.json"))
    args = parser.parse_args()
    from rich.console import Console
    from rich.table import Table

    results = []
    for config in args.configs.split(","):
        print(f"running {config}: {args.viewers} viewers, {SESSIONS} streams, {args.minutes} min ...", flush=True)
        results.append(run(config, args.minutes, args.viewers, args.client_processes, args.inference_nice))
    table = Table(title="fan-out under load (tiny.en, loopback)")
    for col in ("config", "nice", "viewers", "events", "delay p50 ms", "delay p99 ms", "max ms", "lag p50 ms",
                "lag p95 ms", "finals stored",
                "finals lost", "viewers incomplete", "closed early", "RSS MB min 2", "RSS MB last min"):
        table.add_column(col, justify="right")
    for r in results:
        table.add_row(r["config"], str(r["inference_nice"]), str(r["viewers"]), str(r["events_received"]),
                      f"{r['delay_p50_ms']:.1f}", f"{r['delay_p99_ms']:.1f}", f"{r['delay_max_ms']:.0f}",
                      f"{r['caption_lag_p50_ms']:.0f}", f"{r['caption_lag_p95_ms']:.0f}", str(r["finals_stored"]),
                      str(r["finals_lost"]), str(r["viewers_incomplete"]), str(r["viewers_closed_early"]),
                      f"{r['rss_mb_minute_2']:.0f}", f"{r['rss_mb_last_minute']:.0f}")
    Console(width=200).print(table)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps({"machine": platform.platform(), "when": time.strftime("%Y-%m-%d %H:%M"),
                                          "results": results}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
