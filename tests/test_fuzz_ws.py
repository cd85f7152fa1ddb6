"""Property-based fuzzing of both websockets against the real server (hypothesis).

Ingest: random sequences of JSON, text, binary audio, frames over the limits
and invalid UTF-8, in any order. A small model of the documented state
machine (awaiting start -> streaming -> done) predicts the close code of each
sequence; a sequence the model says leaves the connection open is finished
with ``start``/``stop``, so that "keeps going" is checked too: the server must
then answer ``ready``/``stopped`` and close with 1000.

Captions: random query strings, tokens and session ids, then random frames;
the server either refuses with its documented code and a reason, or ignores
everything but ``{"type": "ping"}``, which it answers with a ``pong``.

For every example: no 1011 or undocumented code for client input, ``/healthz``
answers, and the server log gains no unhandled exception, also when the client
leaves without waiting for the server's answer. After the fuzzing, the
same session still works: a real clip streams in and a viewer gets its finals.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import httpx
import pytest
import websockets
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from websockets.exceptions import ConnectionClosed

from service.protocol import StartMessage, StopMessage, ingest_message_adapter
from service.settings import UN_LANGUAGES
from support import (CaptionViewer, LiveServer, expect_close, finals_text, load_audio, pcm16, reference_text,
                     stream_pcm, wer)

pytestmark = [pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
MAX_FRAME_BYTES = 1024 * 1024  # FLOORCAST_MAX_FRAME_BYTES default
MAX_TEXT_BYTES = 4096
FUZZ = settings(max_examples=60, deadline=None, database=None, print_blob=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
START = json.dumps({"type": "start", "sample_rate": 16000, "channels": 1})
STOP = json.dumps({"type": "stop"})
PING = json.dumps({"type": "ping"})


@dataclass(frozen=True)
class Frame:
    """One websocket message: ``text`` (str), ``binary`` (bytes) or ``raw_text`` (bytes in a text frame)."""

    kind: str
    data: str | bytes

    def __repr__(self) -> str:  # keeps hypothesis' report of a 1 MiB frame short
        shown = self.data if len(self.data) <= 80 else f"{self.data[:40]!r}... ({len(self.data)})"
        return f"Frame({self.kind}, {shown})"


async def send(ws, frame: Frame) -> None:
    await ws.send(frame.data, text=True) if frame.kind == "raw_text" else await ws.send(frame.data)


# -- strategies ------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8)
message_types = st.sampled_from(["start", "stop", "speaker", "ping", "pause", "START", ""])
ingest_like = st.fixed_dictionaries(
    {"type": message_types},
    optional={"encoding": st.sampled_from(["pcm_s16le", "opus"]), "sample_rate": st.sampled_from(
        [8000, 16000, 44100, 48000, 4000, 96000, 16000.5, "16000"]), "channels": st.integers(0, 9),
        "label": st.text(max_size=130), "extra": json_values})
texts = st.one_of(
    st.just(START), st.just(STOP), st.builds(lambda label: json.dumps({"type": "speaker", "label": label}),
                                              st.text(max_size=125)),
    ingest_like.map(json.dumps), json_values.map(json.dumps), st.text(max_size=40),
    st.integers(MAX_TEXT_BYTES - 40, MAX_TEXT_BYTES + 40).map(lambda n: json.dumps({"type": "stop", "p": "x" * n})),
    st.integers(2040, 2060).map(lambda n: "é" * n),  # under 4096 characters, over 4096 bytes when n > 2048
).map(lambda text: Frame("text", text))
binaries = st.one_of(
    st.binary(max_size=64), st.integers(0, 1600).map(lambda n: bytes(2 * n)),
    st.binary(min_size=640, max_size=3200),
    st.integers(MAX_FRAME_BYTES - 2, MAX_FRAME_BYTES + 3).map(bytes),
).map(lambda data: Frame("binary", data))
invalid_utf8 = st.sampled_from([b"\xff", b"\xc3\x28", b'{"type": "stop"}\xed\xa0\x80', b"\xe2\x82"]).map(
    lambda data: Frame("raw_text", data))
pcm_frames = st.integers(0, 1600).map(lambda n: Frame("binary", bytes(2 * n)))
speaker_frames = st.text(max_size=20).map(lambda label: Frame("text", json.dumps({"type": "speaker", "label": label})))
# Two sequences in three begin with a valid start, so that what follows is tried in the streaming state too.
ingest_frames = st.builds(
    lambda lead, rest: lead + rest, st.sampled_from([[], [Frame("text", START)], [Frame("text", START)]]),
    st.lists(st.one_of(texts, binaries, pcm_frames, pcm_frames, speaker_frames, invalid_utf8), min_size=1,
             max_size=6))


# -- the documented ingest state machine -----------------------------------------------------
@dataclass
class Expected:
    code: int | None  # None: the connection is still open after the frames
    replies: list[str]
    sent: int  # frames the server reads before it closes
    streaming: bool = False


def expected_ingest(frames: list[Frame]) -> Expected:
    """What docs/protocol.md promises for these frames (the first violation closes the socket)."""
    replies: list[str] = []
    channels: int | None = None  # set once ``start`` was accepted
    for n, frame in enumerate(frames, 1):
        if frame.kind == "raw_text":
            return Expected(1007, replies, n)
        if frame.kind == "binary":
            if len(frame.data) > MAX_FRAME_BYTES:
                return Expected(1009, replies, n)
            if channels is None:
                return Expected(1003, replies, n)
            if len(frame.data) % (2 * channels):
                return Expected(1007, replies, n)
            continue
        if len(frame.data.encode()) > MAX_TEXT_BYTES:
            return Expected(1009, replies, n)
        try:
            message = ingest_message_adapter.validate_python(json.loads(frame.data))
        except (ValueError, ValidationError):
            return Expected(1007, replies, n)
        if isinstance(message, StartMessage):
            if channels is not None:
                return Expected(1007, replies, n)
            channels = message.channels
            replies.append("ready")
        elif isinstance(message, StopMessage):
            if channels is None:
                return Expected(1007, replies, n)
            return Expected(1000, replies + ["stopped"], n)
    return Expected(None, replies, len(frames), streaming=channels is not None)


# -- checks shared by every example --------------------------------------------------------
def server_log_size(server: LiveServer) -> int:
    return server.log_path.stat().st_size if server.log_path.exists() else 0


# What the app logs when it fails. (uvicorn itself logs a traceback for invalid UTF-8 in a text frame,
# and sometimes "Fatal error on transport" after it, in its protocol layer; the connection is closed
# with 1007 and the server goes on.)
APP_FAILURES = ("Exception in ASGI application", "recogniser failed")


def assert_server_fine(server: LiveServer, log_from: int) -> None:
    assert httpx.get(f"{server.base_url}/healthz", timeout=10).status_code == 200
    with server.log_path.open("rb") as log:
        log.seek(log_from)
        new = log.read().decode(errors="replace")
    assert not any(failure in new for failure in APP_FAILURES), new[-3000:]


def wait_channel_free(server: LiveServer, session_id: str, timeout_s: float = 15.0) -> None:
    """The previous client's channel is released once the server has finalised its audio."""
    deadline = time.monotonic() + timeout_s
    while any(c["streaming"] for c in server.get_session(session_id)["channels"]):
        assert time.monotonic() < deadline, "channel still taken after its client left"
        time.sleep(0.02)


async def session_still_works(server: LiveServer, session_id: str, pcm: bytes, reference: str) -> None:
    async with CaptionViewer(server, session_id) as viewer:
        for junk in ("{not json", json.dumps({"type": "final", "text": "forged"}), bytes(MAX_FRAME_BYTES + 1)):
            await viewer._ws.send(junk)
        stopped = await stream_pcm(server, session_id, pcm)
        assert stopped["audio_s"] >= len(pcm) / 32000 - 0.5
        events = await viewer.catch_up()
    assert "forged" not in finals_text(events)
    assert wer(reference, finals_text(events)) < 0.35, finals_text(events)


# -- ingest ----------------------------------------------------------------------------------
async def run_ingest(server: LiveServer, session_id: str, frames: list[Frame],
                     leave_early: bool = False) -> tuple[int | None, str, list]:
    """Send the frames and read until the server closes; or, ``leave_early``, close without waiting."""
    async with websockets.connect(server.audio_url(session_id), additional_headers=server.headers,
                                  max_size=None, open_timeout=30) as ws:
        for frame in frames:
            try:
                await send(ws, frame)
            except ConnectionClosed:
                break
        if leave_early:
            return None, "", []
        code, reason, received = await expect_close(ws, timeout_s=60)
        return code, reason, [json.loads(r)["type"] for r in received]


def test_ingest_websocket_survives_any_sequence_of_frames(server, clip):
    session_id = server.create_session(title="fuzz: ingest")["id"]
    log_from = server_log_size(server)

    @FUZZ
    @given(frames=ingest_frames, leave_early=st.booleans())
    def check(frames: list[Frame], leave_early: bool) -> None:
        expected = expected_ingest(frames)
        if expected.code is None:  # still open: it must keep going and finish like any client
            frames = frames + ([] if expected.streaming else [Frame("text", START)]) + [Frame("text", STOP)]
            expected = expected_ingest(frames)
        frames = frames[:expected.sent]  # the server reads nothing after the frame it closes on
        note(f"frames: {frames!r}")
        wait_channel_free(server, session_id)
        code, reason, replies = asyncio.run(run_ingest(server, session_id, frames, leave_early))
        if leave_early:  # the client goes while the server may still be answering: nothing to read, no error
            wait_channel_free(server, session_id)
            assert_server_fine(server, log_from)
            return
        event(f"closed with {code}")
        assert code == expected.code, (code, reason, expected)
        if frames[-1].kind == "raw_text":  # closed by the protocol layer, maybe before the app answered
            assert replies == expected.replies[:len(replies)], (replies, expected)
        else:
            assert replies == expected.replies, (replies, expected)
            assert reason, "close without a reason"
        assert_server_fine(server, log_from)

    check()
    wait_channel_free(server, session_id)
    path = clip(JFK)
    asyncio.run(session_still_works(server, session_id, pcm16(load_audio(path)), reference_text(path)))


# -- captions --------------------------------------------------------------------------------
captions_queries = st.fixed_dictionaries({}, optional={
    "recent": st.one_of(st.integers(-5, 300), st.sampled_from(["abc", "1.5", "", "99999999999999999999999"])),
    "lang": st.one_of(st.sampled_from(UN_LANGUAGES), st.text(max_size=6)),
    "source": st.one_of(st.sampled_from(["auto", "machine", "interpretation"]), st.text(max_size=6))})
captions_frames = st.lists(st.one_of(
    st.just(Frame("text", PING)), texts, binaries, invalid_utf8,
    st.text(max_size=20).map(lambda t: Frame("text", json.dumps({"type": t})))), max_size=6)
path_ids = st.text(alphabet=st.characters(blacklist_characters="/?#%", blacklist_categories=("Cs", "Cc")),
                   min_size=1, max_size=12)


def expected_refusal(query: dict, token_ok: bool, session_known: bool) -> int | None:
    recent = query.get("recent", 50)
    if not isinstance(recent, int) and not str(recent).lstrip("-").isdigit():
        return 4400
    if not token_ok:
        return 4401
    if not session_known:
        return 4404
    lang, source = query.get("lang"), query.get("source", "auto")
    if lang is not None and lang not in UN_LANGUAGES:
        return 4400
    if source not in ("auto", "machine", "interpretation"):
        return 4400
    return None


async def run_viewer(server: LiveServer, path_id: str, query: dict, token: str | None,
                     frames: list[Frame]) -> tuple[int | None, str, list[dict]]:
    url = f"{server.ws_url}/v1/sessions/{quote(path_id, safe='')}/captions"
    params = {**query, **({"token": token} if token is not None else {})}
    async with websockets.connect(url + ("?" + urlencode(params) if params else ""), max_size=None,
                                  open_timeout=30) as ws:
        for frame in frames:
            try:
                await send(ws, frame)
            except ConnectionClosed:
                break
        if frames and frames[-1].kind == "raw_text":
            code, reason, _ = await expect_close(ws, timeout_s=30)
            return code, reason, []
        try:
            await ws.send(PING)  # the last word: answered if the viewer is still open
            received: list[dict] = []
            async with asyncio.timeout(10):
                while not received or received[-1].get("type") != "pong" or (
                        sum(e.get("type") == "pong" for e in received) < _pings(frames) + 1):
                    received.append(json.loads(await ws.recv()))
            await ws.close()
            return None, "", received
        except ConnectionClosed:
            return ws.close_code, ws.close_reason, []


def _pings(frames: list[Frame]) -> int:
    def is_ping(frame: Frame) -> bool:
        try:
            return frame.kind == "text" and json.loads(frame.data) == {"type": "ping"}
        except ValueError:
            return False
    return sum(map(is_ping, frames))


def test_captions_websocket_ignores_or_refuses_anything_a_client_sends(server, clip):
    session_id = server.create_session(title="fuzz: captions")["id"]
    log_from = server_log_size(server)

    @FUZZ
    @given(query=captions_queries, frames=captions_frames, token=st.sampled_from(["good", "wrong", "none"]),
           path_id=st.one_of(st.just(session_id), st.just(session_id), path_ids))
    def check(query: dict, frames: list[Frame], token: str, path_id: str) -> None:
        note(f"frames: {frames!r}")
        presented = {"good": server.token, "wrong": server.token[::-1], "none": None}[token]
        refusal = expected_refusal(query, token == "good", path_id == session_id)
        frames = frames if refusal is None else []  # refused at once: the server reads nothing
        invalid = next((n for n, frame in enumerate(frames) if frame.kind == "raw_text"), None)
        frames = frames if invalid is None else frames[:invalid + 1]  # nor after invalid UTF-8 (1007)
        code, reason, received = asyncio.run(run_viewer(server, path_id, query, presented, frames))
        event(f"closed with {code}")
        if refusal is not None:
            assert (code, bool(reason)) == (refusal, True), (code, reason)
        elif any(f.kind == "raw_text" for f in frames):  # the protocol layer closes on invalid UTF-8
            assert code == 1007, (code, reason)
        else:
            assert code is None, (code, reason)
            assert [e["type"] for e in received] == ["pong"] * (_pings(frames) + 1), received
        assert_server_fine(server, log_from)

    check()
    path = clip(JFK)
    asyncio.run(session_still_works(server, session_id, pcm16(load_audio(path)), reference_text(path)))
