"""A captioner's connection drops and comes back at once: it is not refused as if another client held the channel.

The server goes on captioning the audio the dropped connection had sent (its last finals are not lost);
the client that reconnects meanwhile, with the ``resume_key`` of its last ``ready``, gets ``ready`` once
that is done, not 4409, and its timeline continues after it. The key matters when the server has not yet
noticed the drop (a dead network is seen only at the next ping, 20-80 s later): the key proves it is the
same client, so the server lets the old connection go. Without it, or with a wrong one, a second client
is still refused 4409 at once and the first carries on.

Found under load: the browser console's automatic reconnect met a fatal 4409 while the server was still
finishing the connection that had dropped.
"""

from __future__ import annotations

import asyncio
import json
import time

import numpy as np
import pytest

from support import SAMPLE_RATE_HZ, CaptionViewer, expect_close, load_audio, pcm16

pytestmark = [pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
START = {"type": "start", "encoding": "pcm_s16le", "sample_rate": SAMPLE_RATE_HZ, "channels": 1}


def test_a_reconnect_while_the_dropped_connection_is_finished_waits_for_it_instead_of_4409(server, clip):
    sid = server.create_session(title="handover", translation_languages=[])["id"]
    speech = load_audio(clip(JFK))
    twice = pcm16(np.concatenate([speech, np.zeros(SAMPLE_RATE_HZ, dtype=np.float32), speech]))  # 23 s

    async def scenario():
        async with CaptionViewer(server, sid) as viewer:
            dropped = await server.ingest(sid)
            await dropped.send(json.dumps(START))
            first = json.loads(await dropped.recv())
            assert first["type"] == "ready" and len(first["resume_key"]) >= 16
            step = 2 * SAMPLE_RATE_HZ // 10
            for i in range(0, len(twice), step):  # 23 s at once: the recogniser is seconds behind
                await dropped.send(twice[i:i + step])
            dropped.transport.abort()  # the network drops: no stop, no close frame
            asked = time.monotonic()
            async with server.ingest(sid) as again:
                await again.send(json.dumps({**START, "resume_key": first["resume_key"]}))
                ready = json.loads(await asyncio.wait_for(again.recv(), 90))
                waited_s = time.monotonic() - asked
                await again.send(pcm16(speech[: SAMPLE_RATE_HZ * 4]))
                await again.send(json.dumps({"type": "stop"}))
                stopped = json.loads(await asyncio.wait_for(again.recv(), 60))
            await asyncio.sleep(0.5)
            events = list(viewer.events)
        return ready, waited_s, stopped, events

    ready, waited_s, stopped, events = asyncio.run(scenario())
    assert ready["type"] == "ready", f"the reconnect was refused: {ready}"
    assert ready["offset_s"] >= 22.9, "the reconnect's timeline starts after all the dropped connection's audio"
    assert waited_s > 0.3, "the channel was still finishing when the client came back (else this tests nothing)"
    assert stopped["type"] == "stopped" and stopped["audio_s"] == pytest.approx(4.0, abs=0.05)
    finals = [e for e in events if e["type"] == "final" and e["text"]]
    before = [e for e in finals if e["start"] < ready["offset_s"]]
    said = " ".join(e["text"] for e in before).lower()
    assert said.count("country") >= 4, f"both readings of the clip the dropped connection sent were kept: {said!r}"
    assert all(e["end"] <= ready["offset_s"] + 0.05 for e in before), "the reconnect's audio comes after them"
    assert len({e["segment_id"] for e in finals}) == len(finals), "segment numbers continue, none repeats"
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)


def test_the_resume_key_lets_a_silent_connection_go_and_a_stranger_is_still_refused_4409(server, clip):
    sid = server.create_session(title="handover, old socket still open", translation_languages=[])["id"]
    speech = pcm16(load_audio(clip(JFK)))

    async def scenario():
        async with CaptionViewer(server, sid) as viewer, server.ingest(sid) as stale:
            await stale.send(json.dumps(START))
            first = json.loads(await stale.recv())
            await stale.send(speech)  # then silence: the network is gone but the server has not seen it
            strangers = []
            for key in (None, "x" * 24):  # no key, or a wrong one: another client, refused at once
                async with server.ingest(sid) as other:
                    await other.send(json.dumps({**START, **({"resume_key": key} if key else {})}))
                    strangers.append(await expect_close(other, timeout_s=10))
            async with server.ingest(sid) as again:
                await again.send(json.dumps({**START, "resume_key": first["resume_key"]}))
                ready = json.loads(await asyncio.wait_for(again.recv(), 90))
                old_close = await expect_close(stale, timeout_s=10)
                await again.send(json.dumps({"type": "stop"}))
                stopped = json.loads(await asyncio.wait_for(again.recv(), 60))
            await asyncio.sleep(0.5)
            return first, strangers, ready, old_close, stopped, list(viewer.events)

    first, strangers, ready, old_close, stopped, events = asyncio.run(scenario())
    for code, reason, _ in strangers:
        assert (code, reason) == (4409, "channel 'floor' already has an ingest client")
    assert old_close[:2] == (4409, "replaced by the same client's reconnect")
    assert ready["type"] == "ready" and ready["resume_key"] != first["resume_key"]
    assert ready["offset_s"] >= 10.9, "the whole clip the silent connection sent was captioned first"
    said = " ".join(e["text"] for e in events if e["type"] == "final").lower()
    assert said.count("country") >= 2, said
    assert stopped == {"type": "stopped", "audio_s": 0.0}
