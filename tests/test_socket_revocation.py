"""Revocation, expiry, end, delete and an operator's disconnect close open websockets at once (issue 15 items 1, 2).

Against a real server (and, across instances, two servers sharing Redis and the
store): a websocket opened with a token closes with 4401 within about a second
of the token being revoked or expiring; an ingest closes with 4409 when its
session ends or is deleted and nothing it could send afterwards is stored; an
operator's disconnect closes it with 4403 and frees the channel; an ingest that
sends no audio is closed with 4408 after the idle timeout.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from support import FRAME_S, SAMPLE_RATE_HZ, LiveServer, ServerProcess, load_audio, pcm16
from test_scale_out import cluster  # noqa: F401  (fixture: two instances, Redis, one store)

pytestmark = [pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
PROMPT_S = 1.6  # "within a second" of the check, plus the time to notice on a busy 2-core machine


def _issue(server: LiveServer, role: str, session_id: str | None = None, **fields) -> dict:
    with server.http() as client:
        response = client.post("/v1/tokens", json={"role": role, "session_id": session_id, "label": "test",
                                                   **fields})
    assert response.status_code == 201, response.text
    return response.json()


def _revoke(server: LiveServer, token_id: str) -> float:
    with server.http() as client:
        assert client.delete(f"/v1/tokens/{token_id}").status_code == 200
    return time.monotonic()


async def _closed_at(ws) -> tuple[float, int | None, str]:
    """Read until the server closes; when, with which code and reason."""
    try:
        while True:
            await ws.recv()
    except ConnectionClosed:
        pass
    return time.monotonic(), ws.close_code, ws.close_reason


class Ingest:
    """An ingest client streaming a clip at real-time pace until the server closes it."""

    def __init__(self, server: LiveServer, session_id: str, pcm: bytes, token: str | None = None,
                 channel: str = "floor") -> None:
        self.server, self.session_id, self.pcm, self.channel = server, session_id, pcm, channel
        self.token = token or server.token
        self.sent_s = 0.0
        self.close: tuple[float, int | None, str] | None = None
        self.ready = asyncio.Event()

    async def run(self) -> None:
        url = f"{self.server.ws_url}/v1/sessions/{self.session_id}/audio?channel={self.channel}&token={self.token}"
        async with websockets.connect(url, open_timeout=30) as ws:
            await ws.send(json.dumps({"type": "start", "sample_rate": SAMPLE_RATE_HZ}))
            assert json.loads(await ws.recv())["type"] == "ready"
            self.ready.set()
            step = 2 * int(FRAME_S * SAMPLE_RATE_HZ)
            try:
                for i in range(0, len(self.pcm), step):
                    await ws.send(self.pcm[i:i + step])
                    self.sent_s = (i + step) / 2 / SAMPLE_RATE_HZ
                    await asyncio.sleep(FRAME_S)
                await ws.send(json.dumps({"type": "stop"}))
            except ConnectionClosed:
                pass
            self.close = await _closed_at(ws)


def _segments(server: LiveServer, session_id: str) -> list[dict]:
    with server.http() as client:
        response = client.get(f"/v1/sessions/{session_id}/transcript", params={"format": "json"})
    assert response.status_code == 200, response.text
    return response.json()["lines"]


def test_revoking_a_viewer_token_closes_its_open_captions_socket(server):
    sid = server.create_session(title="revoke viewer", translation_languages=[])["id"]
    token = _issue(server, "viewer", sid)

    async def main() -> tuple[float, tuple]:
        url = f"{server.ws_url}/v1/sessions/{sid}/captions?token={token['token']}"
        async with websockets.connect(url, open_timeout=30) as ws:
            await asyncio.sleep(0.5)
            revoked_at = await asyncio.to_thread(_revoke, server, token["id"])
            return revoked_at, await asyncio.wait_for(_closed_at(ws), 10)

    revoked_at, (closed_at, code, reason) = asyncio.run(main())
    assert (code, reason) == (4401, "token revoked")
    assert closed_at - revoked_at < PROMPT_S


def test_an_expiring_token_closes_its_socket_when_it_expires(server):
    sid = server.create_session(title="expiring viewer", translation_languages=[])["id"]
    token = _issue(server, "viewer", sid, expires_in_s=2)
    opened = time.monotonic()

    async def main() -> tuple:
        url = f"{server.ws_url}/v1/sessions/{sid}/captions?token={token['token']}"
        async with websockets.connect(url, open_timeout=30) as ws:
            return await asyncio.wait_for(_closed_at(ws), 15)

    closed_at, code, reason = asyncio.run(main())
    assert (code, reason) == (4401, "token expired")
    assert 1.0 < closed_at - opened < 2.0 + PROMPT_S + 1.0  # expires_at is at whole seconds of the store's clock


def test_revoking_a_captioner_token_stops_its_ingest_and_stores_nothing_after(server, clip):
    sid = server.create_session(title="revoke ingest", translation_languages=[])["id"]
    token = _issue(server, "captioner", sid)
    ingest = Ingest(server, sid, pcm16(load_audio(clip(JFK))), token=token["token"])

    async def main() -> tuple[float, float]:
        task = asyncio.create_task(ingest.run())
        await ingest.ready.wait()
        while ingest.sent_s < 4.0:
            await asyncio.sleep(0.05)
        revoked_at = await asyncio.to_thread(_revoke, server, token["id"])
        heard_s = ingest.sent_s
        await asyncio.wait_for(task, 30)
        return revoked_at, heard_s

    revoked_at, heard_s = asyncio.run(main())
    closed_at, code, reason = ingest.close
    assert (code, reason) == (4401, "token revoked") and closed_at - revoked_at < PROMPT_S
    assert ingest.sent_s < 4.0 + PROMPT_S + 0.5, "the client kept streaming"
    lines = _segments(server, sid)
    assert all(line["start_s"] < heard_s + PROMPT_S for line in lines), lines
    assert server.get_session(sid)["status"] == "live"  # the session is not ended by it


def test_ending_a_session_closes_its_ingest_at_once(server, clip):
    sid = server.create_session(title="end while streaming", translation_languages=[])["id"]
    ingest = Ingest(server, sid, pcm16(load_audio(clip(JFK))))

    async def main() -> tuple[float, float]:
        task = asyncio.create_task(ingest.run())
        await ingest.ready.wait()
        while ingest.sent_s < 4.0:
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=server.base_url, headers=server.headers, timeout=30) as client:
            ended = time.monotonic()
            heard_s = ingest.sent_s
            assert (await client.post(f"/v1/sessions/{sid}/end")).status_code == 200
        await asyncio.wait_for(task, 30)
        return ended, heard_s

    ended, heard_s = asyncio.run(main())
    closed_at, code, reason = ingest.close
    assert code == 4409 and reason.startswith("session ended"), (code, reason)
    assert closed_at - ended < PROMPT_S
    assert all(line["start_s"] < heard_s + PROMPT_S for line in _segments(server, sid))
    assert server.get_session(sid)["status"] == "ended"


def test_deleting_a_streaming_session_closes_its_ingest_and_deletes_it(server, clip):
    sid = server.create_session(title="delete while streaming", translation_languages=[])["id"]
    ingest = Ingest(server, sid, pcm16(load_audio(clip(JFK))))

    async def main() -> int:
        task = asyncio.create_task(ingest.run())
        await ingest.ready.wait()
        while ingest.sent_s < 3.0:
            await asyncio.sleep(0.05)
        async with httpx.AsyncClient(base_url=server.base_url, headers=server.headers, timeout=60) as client:
            status = (await client.delete(f"/v1/sessions/{sid}")).status_code
        await asyncio.wait_for(task, 30)
        return status

    assert asyncio.run(main()) == 204
    assert ingest.close[1:] == (4409, "session deleted")
    with server.http() as client:
        assert client.get(f"/v1/sessions/{sid}").status_code == 404
        assert client.get(f"/v1/sessions/{sid}/transcript").status_code == 404


def test_an_operator_disconnects_an_ingest_and_another_client_takes_the_channel(server, clip):
    sid = server.create_session(title="kick ingest", translation_languages=[])["id"]
    staff = _issue(server, "staff")
    ingest = Ingest(server, sid, pcm16(load_audio(clip(JFK))))

    async def main() -> dict:
        task = asyncio.create_task(ingest.run())
        await ingest.ready.wait()
        await asyncio.sleep(1.0)
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30,
                                     headers={"Authorization": f"Bearer {staff['token']}"}) as client:
            response = await client.post(f"/v1/sessions/{sid}/channels/floor/disconnect")
            assert response.status_code == 200, response.text
            again = await client.post(f"/v1/sessions/{sid}/channels/floor/disconnect")
            assert again.status_code == 404 and "no ingest client" in again.json()["detail"]
        await asyncio.wait_for(task, 30)
        backup = Ingest(server, sid, pcm16(load_audio(clip(JFK)))[: 2 * SAMPLE_RATE_HZ])
        await asyncio.wait_for(backup.run(), 30)  # the channel is free: ready, then a normal stop
        assert backup.close[1] == 1000, backup.close
        return response.json()

    body = asyncio.run(main())
    assert body == {"session_id": sid, "channel": "floor", "disconnected": 1, "streaming": False}
    assert ingest.close[1:] == (4403, "disconnected by an operator")
    viewer = _issue(server, "viewer", sid)
    response = httpx.post(f"{server.base_url}/v1/sessions/{sid}/channels/floor/disconnect", timeout=10,
                          headers={"Authorization": f"Bearer {viewer['token']}"})
    assert response.status_code == 403 and response.json()["detail"]


def test_an_ingest_that_sends_no_audio_is_closed_after_the_idle_timeout(base_model, data_dir, tmp_path):
    env = {"FLOORCAST_INGEST_IDLE_TIMEOUT_S": "2"}
    with ServerProcess(data_dir, tmp_path / "server.log", env=env) as process:
        server = process.live
        sid = server.create_session(title="idle ingest", translation_languages=[])["id"]

        async def main() -> tuple[float, tuple]:
            async with server.ingest(sid) as ws:
                await ws.send(json.dumps({"type": "start", "sample_rate": SAMPLE_RATE_HZ}))
                assert json.loads(await ws.recv())["type"] == "ready"
                started = time.monotonic()
                return started, await asyncio.wait_for(_closed_at(ws), 15)

        started, (closed_at, code, reason) = asyncio.run(main())
        assert code == 4408 and "no audio for 2 s" in reason, (code, reason)
        assert 2.0 <= closed_at - started < 2.0 + PROMPT_S
        assert server.get_session(sid)["channels"][0]["streaming"] is False


def test_a_revocation_on_one_instance_closes_the_socket_on_the_other(cluster):  # noqa: F811
    a, b, _ = cluster
    sid = a.live.create_session(title="revoked across instances", translation_languages=[])["id"]
    token = _issue(a.live, "viewer", sid)

    async def main() -> tuple[float, tuple]:
        url = f"{b.live.ws_url}/v1/sessions/{sid}/captions?token={token['token']}"
        async with websockets.connect(url, open_timeout=30) as ws:
            await asyncio.sleep(0.5)
            revoked_at = await asyncio.to_thread(_revoke, a.live, token["id"])
            return revoked_at, await asyncio.wait_for(_closed_at(ws), 10)

    revoked_at, (closed_at, code, reason) = asyncio.run(main())
    assert (code, reason) == (4401, "token revoked")
    assert closed_at - revoked_at < PROMPT_S + 0.5
