"""Live captions reach Zoom, YouTube Live and a webhook as their documentation says, through failures.

Real HTTP receivers on loopback stand for the platforms (nothing here reaches
the internet); real speech is recognised by the real server. Each receiver
checks what its platform documents: ``seq`` from 1, one more per new post and
the same on a retry; ``lang``; ``Content-Type: text/plain``; YouTube's
``YYYY-MM-DDTHH:MM:SS.mmm`` time line before each text; the webhook's
HMAC-SHA256 signature over the protocol's own final event.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import time
from datetime import datetime, timezone

import httpx
import numpy as np
import pytest

from caption_receivers import BlackHole, CaptionReceiver, Received, assert_seq_discipline, wait_until
from service.protocol import FinalEvent
from support import CaptionViewer, ServerProcess, load_audio, pcm16, silence_pcm, stream_pcm

pytestmark = [pytest.mark.model]

CLIPS = ("asr/en/whisper_jfk/jfk.flac", "asr/en/fleurs/fleurs-en-000.ogg")
TIME_LINE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}$")


def _add(server, session_id: str, kind: str, url: str, language: str) -> dict:
    with server.http() as client:
        answer = client.post(f"/v1/sessions/{session_id}/outputs", json={"kind": kind, "url": url, "language": language})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _outputs(server, session_id: str) -> dict[str, dict]:
    with server.http() as client:
        return {o["id"]: o for o in client.get(f"/v1/sessions/{session_id}/outputs").json()}


async def _stream(server, session_id: str, pcm: bytes) -> tuple[list[dict], list[dict]]:
    async with CaptionViewer(server, session_id) as floor, CaptionViewer(server, session_id, query="lang=es") as es:
        await stream_pcm(server, session_id, pcm)
        await floor.catch_up()
        await es.catch_up()
        return floor.events, es.events


def _texts(events: list[dict]) -> list[str]:
    return [" ".join(e["text"].split()) for e in events if e["type"] == "final" and e["text"].strip()]


def test_finals_reach_zoom_youtube_and_a_webhook_in_order_through_failures(server, clip):
    pcm = pcm16(np.concatenate([load_audio(clip(c)) for c in CLIPS])) + silence_pcm(1.0)
    session = server.create_session(title="Outputs", translation_languages=["es"])
    sid = session["id"]
    with CaptionReceiver(fail_first=3) as zoom, CaptionReceiver(clock_skew_s=-3.0) as youtube, \
            CaptionReceiver() as hook, BlackHole() as dead:
        z = _add(server, sid, "zoom", f"{zoom.url}/closedcaption?id=9876&ns=bWVldA==&signature=SECRETSIG", "en")
        y = _add(server, sid, "youtube", f"{youtube.url}/closedcaption?cid=abcd-efgh-ijkl", "en")
        w = _add(server, sid, "webhook", f"{hook.url}/hooks/floorcast", "es")
        d = _add(server, sid, "zoom", f"{dead.url}/closedcaption?id=1", "en")  # hangs: slows nothing else
        started = time.time()
        floor, spanish = asyncio.run(_stream(server, sid, pcm))
        english, translated = _texts(floor), _texts(spanish)
        assert len(english) >= 3 and len(translated) == len(english), (english, translated)

        # everything but the dead destination is delivered while the session is still live
        wait_until(lambda: len(zoom.accepted()) == len(english) and len(hook.accepted()) == len(translated)
                    and sum(r.body.count(b"\n") // 2 for r in youtube.accepted()) == len(english), 30, "deliveries")
        shown = _outputs(server, sid)

        accepted = assert_seq_discipline(zoom.requests)
        assert len(zoom.requests) == len(english) + 3  # the three failures were retried, not skipped
        assert [r.body.decode() for r in accepted] == english
        assert all(r.param("lang") == "en-US" and r.headers["content-type"] == "text/plain"
                   and r.path == "/closedcaption" and r.param("signature") == "SECRETSIG" for r in zoom.requests)
        assert shown[z["id"]]["delivered"] == len(english) and shown[z["id"]]["retries"] == 3
        assert shown[z["id"]]["failed"] == 0 and "SECRETSIG" not in json.dumps(shown)

        posted = assert_seq_discipline(youtube.requests)
        lines = [line for r in posted for line in r.body.decode().splitlines()]
        stamps, texts = lines[0::2], lines[1::2]
        assert texts == english and all(TIME_LINE.match(s) for s in stamps), lines
        assert stamps == sorted(stamps)
        for r in posted[1:]:  # after its first answer, times are on YouTube's clock (3 s behind ours here)
            first = r.body.decode().splitlines()[0]
            assert _unix(first) < r.at - 2.0, (first, r.at)
        assert all(r.headers["content-type"] == "text/plain" for r in youtube.requests)
        assert shown[y["id"]]["delivered"] == len(english)

        bodies = [r.body for r in assert_webhook(hook.requests, w["secret"])]
        events = [FinalEvent.model_validate_json(b) for b in bodies]
        assert [e.lang for e in events] == ["es"] * len(translated) and [" ".join(e.text.split()) for e in events] == translated
        assert [e.seq for e in events] == sorted(e.seq for e in events)

        dead_state = shown[d["id"]]
        assert dead_state["delivered"] == 0 and dead_state["status"] in ("sending", "retrying")
        assert shown[y["id"]]["lag_s"] < 5.0, shown[y["id"]]  # the hanging destination did not hold it back
        assert time.time() - started < 120

        metrics = httpx.get(f"{server.base_url}/metrics", headers=server.headers).text
        assert f'floorcast_output_captions_total{{kind="zoom",language="en",output="{z["id"]}",result="delivered"' \
               f',session="{sid}"}} {float(len(english))}' in metrics, metrics[-3000:]
        with server.http() as client:
            assert client.post(f"/v1/sessions/{sid}/end").status_code == 200
        wait_until(lambda: _outputs(server, sid)[y["id"]]["status"] == "ended", 10, "the end of the session")


def _unix(stamp: str) -> float:
    return datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc).timestamp()


def assert_webhook(requests: list[Received], secret: str) -> list[Received]:
    for r in requests:
        expected = "sha256=" + hmac.new(secret.encode(), r.body, hashlib.sha256).hexdigest()
        assert r.headers["x-floorcast-signature"] == expected
        assert r.headers["content-type"] == "application/json"
    numbers = [int(r.headers["x-floorcast-delivery"].split(":")[1]) for r in requests]
    assert numbers == list(range(1, len(requests) + 1))
    return requests


def test_an_output_resumes_after_kill_9_without_repeating_or_skipping_a_seq(base_model, clip, tmp_path):
    """Finals stored while the destination was failing, and the server then killed, are sent after the restart:
    the post in flight goes again with its seq (a retry, as the platforms mean it), numbering continues."""
    process = ServerProcess(tmp_path / "data", tmp_path / "server.log")
    with CaptionReceiver() as zoom, process:
        server = process.live
        sid = server.create_session(title="Outputs resume", translation_languages=[])["id"]
        _add(server, sid, "zoom", f"{zoom.url}/closedcaption?id=42&signature=SIG", "en")
        asyncio.run(_stream(server, sid, pcm16(load_audio(clip(CLIPS[0]))) + silence_pcm(1.0)))
        wait_until(lambda: len(zoom.accepted()) >= 1, 30, "a first delivery")
        zoom.status = 503  # the destination goes away; what comes next waits, retried
        asyncio.run(_stream(server, sid, pcm16(load_audio(clip(CLIPS[1]))) + silence_pcm(1.0)))
        wait_until(lambda: zoom.requests[-1].answered == 503, 30, "a failing post")
        process.kill()
        zoom.status = 200
        process.start()  # same record; the session is interrupted until its ingest comes back
        asyncio.run(_stream(server, sid, pcm16(load_audio(clip(CLIPS[0]))) + silence_pcm(1.0)))
        with server.http() as client:
            lines = client.get(f"/v1/sessions/{sid}/transcript").json()["lines"]
        spoken = [" ".join(line["text"].split()) for line in lines if line["text"].strip()]
        wait_until(lambda: len(zoom.accepted()) == len(spoken), 30, "every stored final delivered")
        accepted = assert_seq_discipline(zoom.requests)
        assert [r.body.decode() for r in accepted] == spoken  # each once, in order, across the restart
        shown = list(_outputs(server, sid).values())[0]
        assert shown["seq"] == len(spoken) and shown["delivered"] == len(spoken)
