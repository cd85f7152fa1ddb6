"""Real speech through the real server: ingest websocket in, captions websocket out.

Clips are streamed four times faster than real time in 100 ms frames (the
server applies back-pressure, so finals are never lost; partials may be
skipped), except where a test needs partials and streams in real time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter

import httpx
import numpy as np
import pytest
import websockets

from support import (
    SAMPLE_RATE_HZ,
    CaptionViewer,
    ClipSpan,
    assert_caption_invariants,
    finals_text,
    load_audio,
    noise_pcm,
    normalise,
    pcm16,
    reference_text,
    silence_pcm,
    stream_pcm,
    wer,
)

pytestmark = [pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
LIBRISPEECH = "asr/en/librispeech/1272-128104-0000.flac"
LIBRISPEECH_1995 = "asr/en/wenet_librispeech/librispeech-1995-1837-0001.wav"
FLEURS_FR, FLEURS_ES, FLEURS_EN = ("asr/fr/fleurs/fleurs-fr-000.ogg", "asr/es/fleurs/fleurs-es-000.ogg",
                                   "asr/en/fleurs/fleurs-en-000.ogg")


async def stream_and_watch(server, session_id: str, pcm: bytes, **stream_kwargs) -> tuple[dict, list[dict]]:
    """Open a viewer, stream, stop; return the ``stopped`` event and everything the viewer received."""
    async with CaptionViewer(server, session_id) as viewer:
        stopped = await stream_pcm(server, session_id, pcm, **stream_kwargs)
        events = list(await viewer.catch_up())
    assert_caption_invariants(events)
    return stopped, events


@pytest.fixture(scope="module")
def streamed(server, clip):
    """``streamed(relative_clip)``: one fast stream of the clip in its own session, cached per module."""
    cache: dict[str, dict] = {}

    def run(relative: str) -> dict:
        if relative not in cache:
            path = clip(relative)
            session = server.create_session(title=f"test {path.name}")
            stopped, events = asyncio.run(stream_and_watch(server, session["id"], pcm16(load_audio(path))))
            cache[relative] = {"path": path, "session_id": session["id"], "stopped": stopped, "events": events,
                               "public": server.get_session(session["id"])}
        return cache[relative]

    return run


# -- (a) accuracy through the websocket path --------------------------------------------------
@pytest.mark.eval
@pytest.mark.parametrize("relative", [JFK, LIBRISPEECH, LIBRISPEECH_1995])
def test_english_clip_is_captioned_in_english(streamed, relative):
    run = streamed(relative)
    finals = [e for e in run["events"] if e["type"] == "final" and e["text"]]
    assert finals, f"no final for {relative}"
    assert all(e["lang"] == "en" and e["channel"] == "floor" for e in finals)
    duration_s = len(load_audio(run["path"])) / SAMPLE_RATE_HZ
    assert run["stopped"]["audio_s"] == pytest.approx(duration_s, abs=0.01)
    assert all(0.0 <= e["start"] < e["end"] <= duration_s + 1e-3 for e in finals)


# Measured through the server on this machine (2 cores, case and punctuation normalised):
#   JFK: 0.091 while finals could be rejected for low confidence ("ask not" scored about -1.45 to -1.55);
#        0.000 since only partials are (guards.reject_reason(final=True));
#   LibriSpeech 1995-1837-0001: 0.000.
# The thresholds leave room for one or two words of run-to-run variation (partials depend on timing).
WER_THRESHOLDS = {JFK: 0.10, LIBRISPEECH: 0.15, LIBRISPEECH_1995: 0.10}


@pytest.mark.eval
@pytest.mark.parametrize("relative", [
    JFK,
    pytest.param(LIBRISPEECH, marks=pytest.mark.xfail(strict=True, reason=(
        "eval data defect: this clip's audio is LibriSpeech dev-clean 1272-128104-0001 ('Nor is Mister "
        "Quilter's manner less interesting than his matter', recognised correctly) but the .txt beside it is "
        "the transcript of 1272-128104-0000; measured WER 0.882 against it"))),
    LIBRISPEECH_1995,
])
def test_word_error_rate_of_streamed_finals(streamed, relative):
    run = streamed(relative)
    hypothesis = finals_text(run["events"])
    score = wer(reference_text(run["path"]), hypothesis)
    print(f"WER {run['path'].name}: {score:.3f}  hyp={normalise(hypothesis)!r}")
    assert score <= WER_THRESHOLDS[relative]


# -- (h) channel statistics ----------------------------------------------------------------------
@pytest.mark.eval
def test_session_reports_channel_stats_after_streaming(streamed):
    run = streamed(JFK)
    (floor,) = run["public"]["channels"]
    finals = [e for e in run["events"] if e["type"] == "final" and e["text"]]
    assert floor["name"] == "floor" and not floor["streaming"]
    assert floor["audio_s"] == pytest.approx(run["stopped"]["audio_s"], abs=0.01) and floor["audio_s"] > 10
    assert floor["finals"] == len(finals) > 0
    assert floor["busy_s"] > 0
    # the as-spoken viewer does not receive the translations, which take seq numbers too
    assert run["public"]["last_seq"] >= run["events"][-1]["seq"] >= len(run["events"])


# -- (e) seq and the stable-prefix promise ---------------------------------------------------------
@pytest.mark.eval
def test_seq_and_stable_prefix_hold_over_a_real_time_stream(server, clip):
    path = clip(JFK)
    # no translations, so that this viewer receives every event the session publishes
    session = server.create_session(title="stable prefix", translation_languages=[])
    # real time, so that the recogniser has the time to publish partials
    _, events = asyncio.run(stream_and_watch(server, session["id"], pcm16(load_audio(path)), pause_s=0.1))
    assert_caption_invariants(events)  # text[:stable] never changes, final starts with it
    partials = [e for e in events if e["type"] == "partial"]
    assert len(partials) >= 3
    assert any(e["stable"] > 0 for e in partials), "no partial committed any text"
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))  # +1, no gap
    for final in (e for e in events if e["type"] == "final"):
        for partial in (p for p in partials if p["segment_id"] == final["segment_id"]):
            assert final["text"].startswith(partial["text"][:partial["stable"]])
            assert partial["seq"] < final["seq"]


# -- (b) language follows the speaker ---------------------------------------------------------------
@pytest.mark.eval
def test_language_follows_french_spanish_english_in_one_session(server, clip):
    gap = silence_pcm(1.5)
    spans, parts, t = [], [], 0.0
    for relative, language in ((FLEURS_FR, "fr"), (FLEURS_ES, "es"), (FLEURS_EN, "en")):
        audio = load_audio(clip(relative))
        spans.append(ClipSpan(language, t, t + len(audio) / SAMPLE_RATE_HZ))
        parts += [pcm16(audio), gap]
        t += len(audio) / SAMPLE_RATE_HZ + 1.5
    session = server.create_session(title="fr es en")
    stopped, events = asyncio.run(stream_and_watch(server, session["id"], b"".join(parts)))
    offset = stopped["offset_s"]
    finals = [e for e in events if e["type"] == "final" and e["text"]]
    words_by_span: list[Counter] = [Counter() for _ in spans]
    for final in finals:
        start, end = final["start"] - offset, final["end"] - offset
        overlaps = [max(0.0, min(end, s.end_s) - max(start, s.start_s)) for s in spans]
        assert max(overlaps) > 0, f"final outside every clip: {final}"
        words_by_span[int(np.argmax(overlaps))][final["lang"]] += len(normalise(final["text"]).split())
    found = [counts.most_common(1)[0][0] if counts else None for counts in words_by_span]
    print("languages per clip:", words_by_span)
    assert found == [s.language for s in spans]


# -- (c) no captions from silence and noise -----------------------------------------------------------
def test_silence_and_noise_produce_no_caption_text(server):
    session = server.create_session(title="silence and noise")
    pcm = silence_pcm(2.0) + noise_pcm(2.0, rms=0.1, seed=3) + noise_pcm(1.0, rms=0.3, seed=4)
    stopped, events = asyncio.run(stream_and_watch(server, session["id"], pcm))
    assert stopped["audio_s"] == pytest.approx(5.0, abs=0.01)
    assert [e for e in events if e["type"] == "final" and e["text"]] == []
    (floor,) = server.get_session(session["id"])["channels"]
    assert floor["finals"] == 0 and floor["audio_s"] == pytest.approx(5.0, abs=0.01)


# -- (d) floor and an interpretation booth at the same time ---------------------------------------------
@pytest.mark.eval
def test_floor_and_french_booth_streamed_concurrently(server, clip):
    en, fr = clip(JFK), clip(FLEURS_FR)
    session = server.create_session(title="floor + booth",
                                    channels=[{"name": "floor"}, {"name": "booth-fr", "language": "fr"}])
    sid = session["id"]

    async def both():
        async with CaptionViewer(server, sid) as viewer:
            await asyncio.gather(stream_pcm(server, sid, pcm16(load_audio(en)), channel="floor"),
                                 stream_pcm(server, sid, pcm16(load_audio(fr)), channel="booth-fr"))
            return list(await viewer.catch_up())

    events = asyncio.run(both())
    assert_caption_invariants(events)
    finals = [e for e in events if e["type"] == "final" and e["text"]]
    floor = [e for e in finals if e["channel"] == "floor"]
    booth = [e for e in finals if e["channel"] == "booth-fr"]
    assert floor and booth and len(floor) + len(booth) == len(finals)
    assert all(e["lang"] == "fr" and ".booth-fr." in e["segment_id"] for e in booth)
    assert all(e["lang"] == "en" and ".floor." in e["segment_id"] for e in floor)
    floor_wer = wer(reference_text(en), finals_text(events, "floor"))
    booth_wer = wer(reference_text(fr), finals_text(events, "booth-fr"))
    print(f"concurrent: floor WER {floor_wer:.3f}, booth-fr WER {booth_wer:.3f}")
    assert floor_wer <= 0.15  # measured 0.091, as JFK alone
    # measured 0.158-0.316 over runs (FLEURS fr-000, fixed language fr): base mishears "un incendie" as
    # "un 110" and similar in every run; the rest varies with partial timing (commits depend on it)
    assert booth_wer <= 0.40
    stats = {c["name"]: c for c in server.get_session(sid)["channels"]}
    assert stats["booth-fr"]["language"] == "fr" and stats["floor"]["language"] is None
    assert stats["floor"]["finals"] == len(floor) and stats["booth-fr"]["finals"] == len(booth)
    assert stats["floor"]["audio_s"] > 10 and stats["booth-fr"]["audio_s"] > 10


# -- (f) a client that vanishes mid-utterance ------------------------------------------------------------
async def _wait_channel_released(server, session_id: str, timeout_s: float = 60.0) -> dict:
    async with httpx.AsyncClient(base_url=server.base_url, headers=server.headers) as client:
        async with asyncio.timeout(timeout_s):
            while True:
                public = (await client.get(f"/v1/sessions/{session_id}")).json()
                if not public["channels"][0]["streaming"]:
                    return public
                await asyncio.sleep(0.05)


@pytest.mark.eval
@pytest.mark.parametrize("how", ["close-without-stop", "connection-dropped"])
def test_disconnect_mid_utterance_still_finalises_the_buffered_audio(server, clip, how):
    path = clip(JFK)
    cut_s = 6.5  # inside "what your country can do for you" (about 5.2-7.8 s)
    pcm = pcm16(load_audio(path)[:int(cut_s * SAMPLE_RATE_HZ)])
    session = server.create_session(title=f"disconnect {how}")
    sid = session["id"]

    async def scenario():
        async with CaptionViewer(server, sid) as viewer:
            ws = await websockets.connect(server.audio_url(sid), additional_headers=server.headers)
            await ws.send(json.dumps({"type": "start", "sample_rate": SAMPLE_RATE_HZ, "channels": 1}))
            assert json.loads(await ws.recv())["type"] == "ready"
            for i in range(0, len(pcm), 3200):
                await ws.send(pcm[i:i + 3200])
                await asyncio.sleep(0.025)
            if how == "close-without-stop":
                await ws.close()
            else:
                ws.transport.abort()
                with contextlib.suppress(Exception):
                    await ws.wait_closed()
            public = await _wait_channel_released(server, sid)
            events = list(await viewer.catch_up())
            # the channel is free again and its timeline continues after the received audio
            async with server.ingest(sid) as again:
                await again.send(json.dumps({"type": "start"}))
                ready = json.loads(await again.recv())
                await again.send(json.dumps({"type": "stop"}))
                stopped = json.loads(await again.recv())
            return public, events, ready, stopped

    public, events, ready, stopped = asyncio.run(scenario())
    assert_caption_invariants(events)
    finals = [e for e in events if e["type"] == "final" and e["text"]]
    assert finals, "the buffered audio was not finalised"
    last = finals[-1]
    assert last["start"] < cut_s - 1.0 and last["end"] >= cut_s - 0.3, last
    reference_words = set(normalise(reference_text(path)).split())
    assert len(set(normalise(last["text"]).split()) & reference_words) >= 2, last["text"]
    assert public["channels"][0]["audio_s"] == pytest.approx(cut_s, abs=0.01)
    assert ready["type"] == "ready" and ready["offset_s"] >= cut_s
    assert stopped == {"type": "stopped", "audio_s": 0.0}


# -- ending a session ------------------------------------------------------------------------------------
def test_ending_a_session_tells_viewers_and_refuses_new_audio(server):
    session = server.create_session(title="to be ended")
    sid = session["id"]

    async def scenario():
        async with CaptionViewer(server, sid) as viewer:
            async with httpx.AsyncClient(base_url=server.base_url, headers=server.headers) as client:
                ended = (await client.post(f"/v1/sessions/{sid}/end")).json()
                listed = (await client.get("/v1/sessions")).json()
            close_code = await viewer.wait_closed()
            return ended, listed, viewer.events, close_code

    ended, listed, events, close_code = asyncio.run(scenario())
    assert ended["status"] == "ended"
    assert [{k: v for k, v in e.items() if k != "published_at"} for e in events] == [
        {"type": "session_ended", "seq": ended["last_seq"], "session_id": sid, "reason": "stopped"}]
    assert close_code == 1000
    assert any(s["id"] == sid and s["status"] == "ended" for s in listed)
