"""Sessions end by themselves: after their last ingest stops (a reconnect inside the grace period goes on),
or when no audio comes; viewers are told why, the API says ``ended`` with ``ended_at``, the live list drops
them, and the captions stay readable at the session's link."""

from __future__ import annotations

import asyncio
import os
import shutil
import time

import pytest

from support import CaptionViewer, ServerProcess, expect_close, load_audio, pcm16, stream_pcm

pytestmark = [pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
GRACE_S = 4.0
IDLE_S = 12.0


@pytest.fixture(scope="module")
def quick_server(data_dir, base_model, tmp_path_factory):
    """A server whose sessions end 4 s after their last ingest and after 12 s without audio."""
    env = {"FLOORCAST_SESSION_END_GRACE_S": str(GRACE_S), "FLOORCAST_SESSION_IDLE_TIMEOUT_S": str(IDLE_S)}
    with ServerProcess(data_dir, tmp_path_factory.mktemp("lifecycle") / "server.log", env=env) as process:
        yield process.live


def _listed(server, status: str) -> set[str]:
    with server.http() as client:
        response = client.get("/v1/sessions", params={"status": status})
    assert response.status_code == 200, response.text
    assert all(s["status"] == status for s in response.json())
    return {s["id"] for s in response.json()}


def test_a_session_ends_after_its_last_ingest_and_a_reconnect_in_the_grace_period_continues_it(quick_server, clip):
    server = quick_server
    sid = server.create_session(title="ends by itself")["id"]
    pcm = pcm16(load_audio(clip(JFK)))

    async def scenario():
        async with CaptionViewer(server, sid) as viewer:
            first = await stream_pcm(server, sid, pcm[: len(pcm) // 2], pause_s=0.01)
            await asyncio.sleep(GRACE_S / 2)  # the ingest comes back before the grace period is over
            assert server.get_session(sid)["status"] == "live"
            second = await stream_pcm(server, sid, pcm[len(pcm) // 2:], pause_s=0.01)
            stopped_at = time.monotonic()
            assert server.get_session(sid)["status"] == "live"
            assert sid in _listed(server, "live")
            code = await viewer.wait_closed(timeout_s=GRACE_S + 10)
            return first, second, viewer.events, code, time.monotonic() - stopped_at

    first, second, events, code, waited_s = asyncio.run(scenario())
    assert second["offset_s"] >= first["audio_s"], "the reconnect continued the same session's timeline"
    assert code == 1000
    assert GRACE_S - 0.5 <= waited_s <= GRACE_S + 3, waited_s
    ended = events[-1]
    assert (ended["type"], ended["reason"]) == ("session_ended", "ingest_stopped"), ended
    finals = [e for e in events if e["type"] == "final" and e["text"]]
    assert len({e["segment_id"] for e in finals}) == len(finals) >= 2
    public = server.get_session(sid)
    assert public["status"] == "ended" and public["ended_at"] >= public["created_at"]
    assert sid not in _listed(server, "live") and sid in _listed(server, "ended")

    async def read_later():  # the link still shows everything that was said, then "ended"
        async with CaptionViewer(server, sid, query="recent=5") as later:
            await later.wait_closed()
            return later.events

    later = asyncio.run(read_later())
    assert [e["segment_id"] for e in later if e["type"] == "final"] == [e["segment_id"] for e in finals]
    assert later[-1]["type"] == "session_ended" and later[-1]["ended_at"] == pytest.approx(public["ended_at"])


def test_a_session_with_no_audio_ends_after_the_idle_timeout(quick_server):
    server = quick_server
    sid = server.create_session(title="never streamed")["id"]
    created = time.monotonic()

    async def scenario():
        async with CaptionViewer(server, sid) as viewer:
            code = await viewer.wait_closed(timeout_s=IDLE_S + 10)
            return viewer.events, code

    events, code = asyncio.run(scenario())
    assert time.monotonic() - created >= IDLE_S - 1
    assert code == 1000 and events[-1]["type"] == "session_ended" and events[-1]["reason"] == "idle", events
    assert server.get_session(sid)["status"] == "ended"


def test_audio_into_an_ended_session_is_refused(quick_server):
    server = quick_server
    sid = server.create_session(title="ended by hand")["id"]
    with server.http() as client:
        assert client.post(f"/v1/sessions/{sid}/end").json()["status"] == "ended"

    async def scenario():
        async with server.ingest(sid) as ws:
            return await expect_close(ws)

    code, reason, _ = asyncio.run(scenario())
    assert code == 4409 and "ended" in reason, (code, reason)


def test_with_two_instances_only_the_one_recording_the_session_ends_it(base_model, tmp_path, clip):
    """The ingest leaves instance a and comes back on b inside the grace period: a lets b record (and end) it."""
    from store_support import PG_ENV, fresh_database
    from test_scale_out import RedisServer, _ingest

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    redis = RedisServer(tmp_path)
    redis.start()
    (tmp_path / "data").mkdir()
    started: list[ServerProcess] = []
    pcm = pcm16(load_audio(clip(JFK)))
    try:
        with fresh_database("postgres" if os.environ.get(PG_ENV) else "sqlite", tmp_path / "data") as database:
            env = {"FLOORCAST_REDIS_URL": redis.url, "FLOORCAST_SESSION_END_GRACE_S": str(GRACE_S),
                   "FLOORCAST_SESSION_IDLE_TIMEOUT_S": "600",
                   "FLOORCAST_DATABASE_URL": database.url or f"sqlite:///{tmp_path / 'data' / 'floorcast.db'}"}
            a = ServerProcess(tmp_path / "data", tmp_path / "a.log", env={**env, "FLOORCAST_INSTANCE_ID": "a"})
            started.append(a)
            a.start()
            b = ServerProcess(tmp_path / "data", tmp_path / "b.log", env={**env, "FLOORCAST_INSTANCE_ID": "b"},
                              token=a.token)
            started.append(b)
            b.start()
            sid = a.live.create_session(title="moves instance", translation_languages=[])["id"]

            async def run():
                async with CaptionViewer(a.live, sid) as on_a:
                    await _ingest(a, sid, pcm[: len(pcm) // 3], pause_s=0.01)
                    moved = asyncio.create_task(_ingest(b, sid, pcm[len(pcm) // 3:], pause_s=0.1))  # ~7 s
                    await asyncio.sleep(GRACE_S + 2)  # a's grace is over while b records
                    status_meanwhile = a.live.get_session(sid)["status"]
                    await moved
                    code = await on_a.wait_closed(timeout_s=GRACE_S + 15)
                    return status_meanwhile, on_a.events, code

            status_meanwhile, events, code = asyncio.run(run())
    finally:
        for process in started:
            process.stop()
        redis.stop()
    assert status_meanwhile == "live", "a did not end a session that b was recording"
    ended = [e for e in events if e["type"] == "session_ended"]
    assert code == 1000 and len(ended) == 1 and ended[0]["reason"] == "ingest_stopped", ended
    seqs = [e["seq"] for e in events]
    assert seqs == sorted(seqs) and events[-1] is ended[0]
