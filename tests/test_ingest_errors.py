"""Bad input gets a precise refusal and touches nothing else.

Every protocol error on the ingest websocket closes it with its code and a
non-empty reason; afterwards the channel can be used again, and another
session of the same server keeps working (checked after each case, and once
with a real stream running while all the bad clients connect). HTTP errors
are JSON with status 401, 404 or 422.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from support import (
    CaptionViewer,
    assert_caption_invariants,
    expect_close,
    finals_text,
    load_audio,
    pcm16,
    reference_text,
    stream_pcm,
    wer,
)

pytestmark = pytest.mark.model

START = {"type": "start", "encoding": "pcm_s16le", "sample_rate": 16000, "channels": 1}
MAX_FRAME_BYTES = 1024 * 1024  # the default FLOORCAST_MAX_FRAME_BYTES

# case: (messages sent, expected close code, replies before the close)
PROTOCOL_CASES = {
    "audio-before-start": ([b"\x00\x00" * 1600], 1003, []),
    "invalid-json": (["{not json"], 1007, []),
    "unknown-message": ([{"type": "pause"}], 1007, []),
    "message-without-type": ([{"sample_rate": 16000}], 1007, []),
    "encoding-opus": ([{**START, "encoding": "opus"}], 1007, []),
    "sample-rate-4000": ([{**START, "sample_rate": 4000}], 1007, []),
    "sample-rate-96000": ([{**START, "sample_rate": 96000}], 1007, []),
    "channels-9": ([{**START, "channels": 9}], 1007, []),
    "unknown-start-field": ([{**START, "gain_db": 6}], 1007, []),
    "resume-key-too-short": ([{**START, "resume_key": "abc"}], 1007, []),
    "resume-key-not-url-safe": ([{**START, "resume_key": "a" * 20 + "/../"}], 1007, []),
    "resume-key-a-number": ([{**START, "resume_key": 12345678901234567890}], 1007, []),
    "odd-length-frame": ([START, b"\x00" * 3], 1007, ["ready"]),
    "half-a-stereo-sample": ([{**START, "channels": 2}, b"\x00" * 6], 1007, ["ready"]),
    "start-twice": ([START, START], 1007, ["ready"]),
    "stop-before-start": ([{"type": "stop"}], 1007, []),
    "frame-over-1-MiB": ([START, bytes(MAX_FRAME_BYTES + 2)], 1009, ["ready"]),
    "text-over-4-KiB": ([json.dumps({"type": "start", "pad": " " * 5000})], 1009, []),
}


def _wire(message):
    return json.dumps(message) if isinstance(message, dict) else message


async def send_all(ws, messages) -> None:
    for message in messages:
        try:
            await ws.send(_wire(message))
        except ConnectionClosed:
            return


async def protocol_case(server, session_id: str, messages) -> tuple[int | None, str, list]:
    async with server.ingest(session_id) as ws:
        await send_all(ws, messages)
        return await expect_close(ws)


async def channel_works(server, session_id: str, channel: str = "floor") -> dict:
    """A well-behaved client can open, stream a little and stop on the channel."""
    async with server.ingest(session_id, channel) as ws:
        await ws.send(json.dumps(START))
        ready = json.loads(await ws.recv())
        assert ready["type"] == "ready", ready
        await ws.send(bytes(3200))
        await ws.send(json.dumps({"type": "stop"}))
        stopped = json.loads(await ws.recv())
        assert stopped == {"type": "stopped", "audio_s": 0.1}
        return stopped


@pytest.fixture(scope="module")
def bystander(server):
    """Another live session on the same server, which must not notice any of the errors."""
    return server.create_session(title="bystander")


def assert_bystander_fine(server, bystander) -> None:
    with server.http() as client:
        assert client.get("/healthz").json()["status"] == "ok"
        public = client.get(f"/v1/sessions/{bystander['id']}").json()
    assert public["status"] == "live" and public["id"] == bystander["id"]


@pytest.mark.parametrize("case", PROTOCOL_CASES)
def test_protocol_error_closes_with_code_and_reason(server, bystander, case):
    messages, expected, replies = PROTOCOL_CASES[case]
    session = server.create_session(title=case)

    async def scenario():
        code, reason, received = await protocol_case(server, session["id"], messages)
        await channel_works(server, session["id"])  # the refused client left nothing behind
        return code, reason, received

    code, reason, received = asyncio.run(scenario())
    assert (code, bool(reason.strip())) == (expected, True), (code, reason)
    assert [json.loads(m)["type"] for m in received] == replies
    assert_bystander_fine(server, bystander)


def test_a_frame_of_exactly_1_mib_is_accepted(server):
    session = server.create_session(title="1 MiB frame")

    async def scenario():
        async with server.ingest(session["id"]) as ws:
            await ws.send(json.dumps(START))
            await ws.recv()
            await ws.send(bytes(MAX_FRAME_BYTES))
            await ws.send(json.dumps({"type": "stop"}))
            return json.loads(await ws.recv())

    stopped = asyncio.run(scenario())
    assert stopped["audio_s"] == pytest.approx(MAX_FRAME_BYTES / 2 / 16000, abs=0.001)


# -- refusals before any message: auth and lookup --------------------------------------------------------
async def refused(url: str, headers: dict | None = None, messages=()) -> tuple[int | None, str]:
    async with websockets.connect(url, additional_headers=headers or {}) as ws:
        await send_all(ws, messages)
        code, reason, _ = await expect_close(ws)
        return code, reason


@pytest.mark.parametrize("how", ["no-token", "wrong-bearer", "wrong-query-token", "basic-scheme"])
def test_ingest_without_the_right_token_gets_4401(server, bystander, how):
    sid = server.create_session(title=how)["id"]
    url, headers = {
        "no-token": (server.audio_url(sid), None),
        "wrong-bearer": (server.audio_url(sid), {"Authorization": "Bearer not-the-token"}),
        "wrong-query-token": (server.audio_url(sid, token="not-the-token"), None),
        "basic-scheme": (server.audio_url(sid), {"Authorization": f"Basic {server.token}"}),
    }[how]
    code, reason = asyncio.run(refused(url, headers, [START]))
    assert code == 4401 and reason
    assert_bystander_fine(server, bystander)


def test_ingest_with_the_token_in_the_query_is_accepted(server):
    sid = server.create_session(title="query token")["id"]

    async def scenario():
        async with websockets.connect(server.audio_url(sid, token=server.token)) as ws:
            await ws.send(json.dumps(START))
            return json.loads(await ws.recv())

    assert asyncio.run(scenario())["type"] == "ready"


def test_unknown_session_or_channel_gets_4404(server, bystander):
    sid = server.create_session(title="lookup")["id"]
    code, reason = asyncio.run(refused(server.audio_url("no-such-session"), server.headers, [START]))
    assert code == 4404 and "no-such-session" in reason
    code, reason = asyncio.run(refused(server.audio_url(sid, channel="booth-xx"), server.headers, [START]))
    assert code == 4404 and "booth-xx" in reason
    assert_bystander_fine(server, bystander)


def test_second_ingest_client_on_a_busy_channel_gets_4409_and_the_first_carries_on(server, bystander):
    sid = server.create_session(title="busy")["id"]

    async def scenario():
        async with server.ingest(sid) as first:
            await first.send(json.dumps(START))
            assert json.loads(await first.recv())["type"] == "ready"
            await first.send(bytes(3200))
            code, reason = await refused(server.audio_url(sid), server.headers, [START])
            await first.send(bytes(3200))
            await first.send(json.dumps({"type": "stop"}))
            return code, reason, json.loads(await first.recv())

    code, reason, stopped = asyncio.run(scenario())
    assert code == 4409 and reason
    assert stopped == {"type": "stopped", "audio_s": 0.2}
    assert_bystander_fine(server, bystander)


def test_ingest_into_an_ended_session_gets_4409(server, bystander):
    sid = server.create_session(title="ended")["id"]
    with server.http() as client:
        assert client.post(f"/v1/sessions/{sid}/end").status_code == 200
    code, reason = asyncio.run(refused(server.audio_url(sid), server.headers, [START]))
    assert code == 4409 and "ended" in reason
    assert_bystander_fine(server, bystander)


def test_captions_websocket_refusals(server):
    sid = server.create_session(title="viewer refusals")["id"]
    base = f"{server.ws_url}/v1/sessions"
    assert asyncio.run(refused(f"{base}/{sid}/captions"))[0] == 4401
    assert asyncio.run(refused(f"{base}/{sid}/captions?token=wrong"))[0] == 4401
    code, reason = asyncio.run(refused(f"{base}/no-such-session/captions?token={server.token}"))
    assert code == 4404 and reason


# -- all of it while a real stream runs next door -------------------------------------------------------------
@pytest.mark.eval
def test_bad_clients_do_not_disturb_a_concurrent_stream(server, clip):
    path = clip("asr/en/whisper_jfk/jfk.flac")
    good = server.create_session(title="good stream")["id"]
    targets = [server.create_session(title=f"bad {case}")["id"] for case in PROTOCOL_CASES]

    async def bad_clients():
        results = {"no-token": (await refused(server.audio_url(good), None, [START]))[0],
                   "busy": (await refused(server.audio_url(good), server.headers, [START]))[0]}
        for sid, (case, (messages, _, _)) in zip(targets, PROTOCOL_CASES.items()):
            results[case] = (await protocol_case(server, sid, messages))[0]
        return results

    async def scenario():
        async with CaptionViewer(server, good) as viewer:
            stream = asyncio.create_task(stream_pcm(server, good, pcm16(load_audio(path))))
            await asyncio.sleep(0.5)  # the good stream holds its channel before the bad clients arrive
            t0 = time.monotonic()
            results = await bad_clients()
            print(f"bad clients took {time.monotonic() - t0:.2f} s")
            overlapped = not stream.done()
            stopped = await stream
            return results, overlapped, stopped, list(await viewer.catch_up())

    results, overlapped, stopped, events = asyncio.run(scenario())
    assert overlapped, "the good stream ended before the bad clients did: nothing was tested concurrently"
    assert results == {**{case: code for case, (_, code, _) in PROTOCOL_CASES.items()}, "no-token": 4401, "busy": 4409}
    assert stopped["audio_s"] == pytest.approx(11.0, abs=0.01)
    assert_caption_invariants(events)
    score = wer(reference_text(path), finals_text(events))
    print(f"JFK WER next to bad clients: {score:.3f}")
    assert score <= 0.15  # as JFK alone (measured 0.091)


# -- HTTP errors ---------------------------------------------------------------------------------------------
def assert_json_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["detail"], body
    return body


@pytest.mark.parametrize("authorization", [None, "Bearer not-the-token", "Basic {token}", "{token}", "Bearer",
                                           "Token {token}"])
def test_every_route_needs_the_bearer_token(server, authorization):
    sid = server.create_session(title="auth")["id"]
    headers = {} if authorization is None else {"Authorization": authorization.format(token=server.token)}
    with httpx.Client(base_url=server.base_url, headers=headers) as client:
        for response in (client.post("/v1/sessions", json={"title": "x"}), client.get("/v1/sessions"),
                         client.get(f"/v1/sessions/{sid}"), client.post(f"/v1/sessions/{sid}/end")):
            assert_json_error(response, 401)
            assert response.headers["www-authenticate"] == "Bearer"
    assert server.get_session(sid)["status"] == "live"  # the refused "end" did not end it


def test_unknown_session_is_404(server):
    with server.http() as client:
        for response in (client.get("/v1/sessions/no-such-session"), client.post("/v1/sessions/no-such-session/end")):
            assert "no-such-session" in assert_json_error(response, 404)["detail"]


@pytest.mark.parametrize("body", [
    {"channels": [{"name": "Floor"}]},
    {"channels": [{"name": "floor"}, {"name": "floor"}]},
    {"channels": []},
    {"channels": [{"name": "booth", "language": "french"}]},
    {"allowed_languages": ["xx"]},
    {"channels": [{"name": "booth-xx", "language": "xx"}]},
    {"title": "x", "colour": "red"},
    {"glossary": [{"term": ""}]},
    "not json",
], ids=["bad-channel-name", "duplicate-channel", "no-channel", "language-not-a-code", "unsupported-language",
        "unsupported-booth-language", "unknown-field", "empty-glossary-term", "not-json"])
def test_invalid_session_is_422(server, body):
    with server.http() as client:
        if isinstance(body, str):
            response = client.post("/v1/sessions", content=body, headers={"content-type": "application/json"})
        else:
            response = client.post("/v1/sessions", json=body)
    assert_json_error(response, 422)


def test_session_created_with_everything_is_reported_back(server):
    spec = {"title": "Plenary", "channels": [{"name": "floor"}, {"name": "booth-es", "language": "es"}],
            "allowed_languages": ["en", "fr", "es"],
            "glossary": [{"term": "Plenipotentiary Conference",
                          "renderings": {"fr": "Conférence de plénipotentiaires"}}]}
    created = server.create_session(**spec)
    assert created["title"] == "Plenary" and created["status"] == "live" and created["model"] == "base"
    assert created["allowed_languages"] == ["en", "fr", "es"]
    assert created["glossary"] == spec["glossary"]
    assert [(c["name"], c["language"], c["streaming"], c["audio_s"], c["finals"]) for c in created["channels"]] == [
        ("floor", None, False, 0.0, 0), ("booth-es", "es", False, 0.0, 0)]
    assert created["last_seq"] == 0
    assert server.get_session(created["id"]) == created
    with server.http() as client:
        assert created["id"] in [s["id"] for s in client.get("/v1/sessions").json()]
        assert client.get("/healthz").json() == {"status": "ok", "model": "base"}
