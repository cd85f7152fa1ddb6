"""Two ``floorcast serve`` instances on loopback sharing Redis and the record.

A session is recorded on the instance its audio reaches (a Redis lease);
viewers on either instance receive it. Killing the recording instance moves
recording to the survivor when the audio client reconnects (within the
lease's 5 s TTL plus the retry); restarting Redis interrupts nothing for good.
Redis is a real ``redis-server`` started by the test (installed by
``.ci/run``); the record is PostgreSQL when ``FLOORCAST_TEST_DATABASE_URL``
is set, else one SQLite file shared by both processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from store_support import PG_ENV, fresh_database
from support import CaptionViewer, ServerProcess, free_port, load_audio, pcm16

pytestmark = [pytest.mark.model]

CLIPS = ("asr/en/whisper_jfk/jfk.flac", "asr/en/fleurs/fleurs-en-000.ogg", "asr/en/fleurs/fleurs-en-001.ogg",
         "asr/en/fleurs/fleurs-en-002.ogg", "asr/en/fleurs/fleurs-en-003.ogg")


class RedisServer:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True).stdout.strip() != "PONG":
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def cluster(base_model, tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server; bash .ci/run does)")
    redis = RedisServer(tmp_path)
    redis.start()
    backend = "postgres" if os.environ.get(PG_ENV) else "sqlite"
    (tmp_path / "data").mkdir()
    started: list[ServerProcess] = []
    try:
        with fresh_database(backend, tmp_path / "data") as database:
            env = {"FLOORCAST_REDIS_URL": redis.url,
                   "FLOORCAST_DATABASE_URL": database.url or f"sqlite:///{tmp_path / 'data' / 'floorcast.db'}"}
            a = ServerProcess(tmp_path / "data", tmp_path / "a.log", env={**env, "FLOORCAST_INSTANCE_ID": "a"})
            started.append(a)
            a.start()  # assembles the model into the shared data dir before b starts
            b = ServerProcess(tmp_path / "data", tmp_path / "b.log", env={**env, "FLOORCAST_INSTANCE_ID": "b"},
                              token=a.token)
            started.append(b)
            b.start()
            yield a, b, redis
    finally:
        for process in started:
            process.stop()
        redis.stop()


async def _ingest(process: ServerProcess, session_id: str, pcm: bytes, *, start_at: int = 0,
                  stop_when=lambda sent: False, pause_s: float = 0.05) -> tuple[int, int | None]:
    """Stream from byte ``start_at``; returns (bytes sent, close code if the server closed first)."""
    sent = start_at
    try:
        async with process.live.ingest(session_id) as ws:
            await ws.send(json.dumps({"type": "start", "sample_rate": 16000}))
            ready = json.loads(await ws.recv())
            assert ready["type"] == "ready", ready
            for i in range(start_at, len(pcm), 3200):
                await ws.send(pcm[i:i + 3200])
                sent = i + 3200
                await asyncio.sleep(pause_s)
                if stop_when(sent):
                    return sent, None
            await ws.send(json.dumps({"type": "stop"}))
            await asyncio.wait_for(ws.recv(), 120)
            return len(pcm), 1000
    except ConnectionClosed as exc:
        return sent, exc.rcvd.code if exc.rcvd else None


def _finals(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] == "final" and e["text"]]


def test_viewers_on_either_instance_receive_the_same_captions(cluster, clip):
    a, b, _ = cluster
    sid = a.live.create_session(title="two instances", translation_languages=[])["id"]
    pcm = pcm16(load_audio(clip(CLIPS[0])))

    async def run():
        async with CaptionViewer(a.live, sid) as on_a, CaptionViewer(b.live, sid) as on_b:
            await _ingest(a, sid, pcm, pause_s=0.025)
            await on_a.catch_up()
            await on_b.catch_up()
            return on_a.events, on_b.events

    on_a, on_b = asyncio.run(run())
    assert _finals(on_a) and [(e["seq"], e["text"]) for e in _finals(on_b)] == [
        (e["seq"], e["text"]) for e in _finals(on_a)]


def test_audio_for_a_session_recorded_elsewhere_is_refused_until_its_lease_is_free(cluster, clip):
    a, b, _ = cluster
    sid = a.live.create_session(title="one recorder")["id"]
    pcm = pcm16(load_audio(clip(CLIPS[0])))

    async def run():
        started = asyncio.Event()
        first = asyncio.create_task(_ingest(a, sid, pcm, stop_when=lambda sent: started.set() or False))
        await started.wait()
        async with b.live.ingest(sid) as ws:
            with pytest.raises(ConnectionClosed) as closed:
                await ws.send(json.dumps({"type": "start", "sample_rate": 16000}))
                await ws.recv()
        await first
        return closed.value.rcvd

    closed = asyncio.run(run())
    assert closed.code == 1013 and "another instance" in closed.reason


def test_kill_9_of_the_recording_instance_moves_recording_to_the_survivor(cluster, clip):
    a, b, _ = cluster
    sid = a.live.create_session(title="failover", translation_languages=[])["id"]
    pcm = pcm16(np.concatenate([load_audio(clip(c)) for c in CLIPS]))
    half = len(pcm) // 2 // 3200 * 3200

    async def run():
        async with CaptionViewer(b.live, sid) as viewer:
            sent, _ = await _ingest(a, sid, pcm, stop_when=lambda s: s >= half and bool(_finals(viewer.events)))
            finals_before_kill = list(_finals(viewer.events))
            a.kill()
            killed_at = time.monotonic()
            while True:  # the audio client retries on the survivor until the dead owner's lease expires
                sent_after, code = await _ingest(b, sid, pcm, start_at=sent, pause_s=0.025)
                if code != 1013:
                    break
                assert time.monotonic() - killed_at < 10, "recording did not resume within 10 s"
                await asyncio.sleep(0.5)
            await viewer.catch_up()
            return finals_before_kill, list(viewer.events)

    before, events = asyncio.run(run())
    assert before, "no final reached the viewer on b before the kill"
    finals = _finals(events)
    assert len(finals) > len(before), "no final after the failover"
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    with b.live.http() as client:
        stored = {line["segment_id"]: line["text"] for line in
                  client.get(f"/v1/sessions/{sid}/transcript").json()["lines"]}
    lost = {e["segment_id"]: e["text"] for e in finals if stored.get(e["segment_id"]) != e["text"]}
    assert not lost, f"finals a viewer received but the record lost: {lost}"


def test_fan_out_recovers_by_itself_after_a_redis_restart(cluster, clip):
    a, b, redis = cluster
    sid = a.live.create_session(title="redis restart", translation_languages=[])["id"]
    pcm = pcm16(np.concatenate([load_audio(clip(c)) for c in CLIPS[:3]]))

    async def run():
        async with CaptionViewer(a.live, sid) as on_a, CaptionViewer(b.live, sid) as on_b:
            restarted = False

            def restart_once(sent: int) -> bool:
                nonlocal restarted
                if not restarted and sent >= len(pcm) // 3:
                    redis.stop()
                    redis.start()
                    restarted = True
                return False

            await _ingest(a, sid, pcm, stop_when=restart_once, pause_s=0.03)
            await on_a.catch_up()
            await asyncio.sleep(3)  # let b's subscriber reconnect and fill its gap
            await on_b.catch_up()
            return on_a.events, on_b.events

    on_a, on_b = asyncio.run(run())
    assert len(_finals(on_a)) >= 3
    assert [(e["seq"], e["text"]) for e in _finals(on_b)] == [(e["seq"], e["text"]) for e in _finals(on_a)]


def test_an_output_added_on_either_instance_is_delivered_by_the_recorder_and_moves_with_it(cluster, clip):
    """Staff add the output on b; a, recording, delivers it; when a is killed b records and delivers, numbering on."""
    from caption_receivers import CaptionReceiver, assert_seq_discipline, wait_until

    a, b, _ = cluster
    sid = a.live.create_session(title="outputs across instances", translation_languages=[])["id"]
    first, second = (pcm16(load_audio(clip(c))) for c in CLIPS[:2])
    with CaptionReceiver() as zoom:
        with b.live.http() as client:
            added = client.post(f"/v1/sessions/{sid}/outputs",
                                json={"kind": "zoom", "url": f"{zoom.url}/closedcaption?id=5", "language": "en"})
        assert added.status_code == 201, added.text
        asyncio.run(_ingest(a, sid, first, pause_s=0.025))
        wait_until(lambda: len(zoom.accepted()) >= 1, 30, "a delivering")
        time.sleep(1.5)  # quiet: nothing in flight when a dies
        delivered_by_a = len(zoom.accepted())
        a.kill()

        async def reconnect() -> None:
            killed_at = time.monotonic()
            while (await _ingest(b, sid, second, pause_s=0.025))[1] == 1013:  # until a's lease expires
                assert time.monotonic() - killed_at < 15, "recording did not move to b"
                await asyncio.sleep(0.5)

        asyncio.run(reconnect())
        with b.live.http() as client:
            lines = client.get(f"/v1/sessions/{sid}/transcript").json()["lines"]
        spoken = [" ".join(line["text"].split()) for line in lines if line["text"].strip()]
        wait_until(lambda: len(zoom.accepted()) == len(spoken), 30, "b delivering the rest")
        accepted = assert_seq_discipline(zoom.requests)
        assert [r.body.decode() for r in accepted] == spoken and len(spoken) > delivered_by_a
