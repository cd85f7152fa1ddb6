"""Resume without loss: ``since=<seq>`` replays what a viewer missed; a session survives its server.

Replay comes from memory for recent events and from the store beyond that
(after a restart the memory is empty). An ingest client reconnecting to a
session whose server was killed revives it: ``seq`` continues above
anything a viewer saw, segment numbers and the timeline continue.
"""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pytest
import websockets

from support import CaptionViewer, ServerProcess, assert_caption_invariants, load_audio, pcm16, stream_pcm

pytestmark = [pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
FLEURS_EN = ("asr/en/fleurs/fleurs-en-000.ogg", "asr/en/fleurs/fleurs-en-001.ogg")


async def _read_until_quiet(url: str, quiet_s: float = 1.5, limit_s: float = 30.0) -> tuple[list[dict], int | None]:
    """Connect, collect events until none arrive for ``quiet_s``; return them and the close code, if any."""
    events: list[dict] = []
    async with websockets.connect(url) as ws:
        try:
            async with asyncio.timeout(limit_s):
                while True:
                    message = await asyncio.wait_for(ws.recv(), quiet_s)
                    events.append(json.loads(message))
        except (asyncio.TimeoutError, TimeoutError):
            pass
        except websockets.ConnectionClosed:
            pass
        return events, ws.close_code


def _not_partial(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] not in ("partial", "pong")]


def test_since_replays_exactly_the_missed_events_from_memory(server, clip):
    session = server.create_session(title="resume from memory")
    sid = session["id"]

    async def run() -> tuple[list[dict], list[dict]]:
        async with CaptionViewer(server, sid) as first:
            await stream_pcm(server, sid, pcm16(load_audio(clip(JFK))))
            seen = list(await first.catch_up())
        finals = [e for e in seen if e["type"] == "final"]
        since = finals[0]["seq"]
        replayed, _ = await _read_until_quiet(server.captions_url(sid) + f"&since={since}")
        return seen, replayed, since

    seen, replayed, since = asyncio.run(run())
    expected = [e for e in _not_partial(seen) if e["seq"] > since]
    assert expected, "nothing after the first final to replay"
    assert _not_partial(replayed) == expected


def test_revived_session_continues_after_kill_9_and_replays_from_the_store(base_model, clip, tmp_path):
    process = ServerProcess(tmp_path / "data", tmp_path / "server.log")
    with process:
        server = process.live
        sid = server.create_session(title="survives its server", translation_languages=[])["id"]  # no MT

        async def before_crash() -> list[dict]:
            async with CaptionViewer(server, sid) as viewer:
                await stream_pcm(server, sid, pcm16(load_audio(clip(JFK))))
                return list(await viewer.catch_up())

        before = asyncio.run(before_crash())
        finals_before = [e for e in before if e["type"] == "final" and e["text"]]
        assert finals_before
        process.kill()
        process.start()
        interrupted = server.get_session(sid)
        assert (interrupted["status"], interrupted["translation_languages"]) == ("interrupted", [])

        async def after_restart() -> tuple[list[dict], list[dict], dict]:
            replayed, _ = await _read_until_quiet(server.captions_url(sid) + "&since=0", quiet_s=1.0)
            async with CaptionViewer(server, sid) as viewer:
                viewer_since = viewer  # a viewer waiting while nobody records
                stopped = await stream_pcm(server, sid, pcm16(np.concatenate(
                    [load_audio(clip(c)) for c in FLEURS_EN])))
                live = list(await viewer_since.catch_up())
            return replayed, live, stopped

        replayed, live, stopped = asyncio.run(after_restart())
        # the store replays every final a viewer saw before the crash (lang: as spoken)
        stored = [(e["segment_id"], e["text"]) for e in replayed if e["type"] == "final"]
        assert stored == [(e["segment_id"], e["text"]) for e in finals_before]
        # the revived session goes on: seq above everything seen, new segment numbers, later timeline
        new_finals = [e for e in live if e["type"] == "final" and e["text"]]
        assert new_finals and min(e["seq"] for e in live) > max(e["seq"] for e in before)
        assert_caption_invariants(live)
        old_ids = {e["segment_id"] for e in before if e["type"] == "final"}
        assert not old_ids & {e["segment_id"] for e in live}
        assert stopped["offset_s"] >= max(e["end"] for e in finals_before)
        revived = server.get_session(sid)
        assert (revived["status"], revived["translation_languages"]) == ("live", []), "its settings come back too"
        with server.http() as client:
            lines = client.get(f"/v1/sessions/{sid}/transcript").json()["lines"]
        assert [line["segment_id"] for line in lines] == [e["segment_id"] for e in finals_before + new_finals]


def test_ended_session_is_replayed_then_closed(server, clip):
    sid = server.create_session(title="ended, replayed")["id"]
    asyncio.run(stream_pcm(server, sid, pcm16(load_audio(clip(JFK)))))
    with server.http() as client:
        assert client.post(f"/v1/sessions/{sid}/end").status_code == 200
    events, code = asyncio.run(_read_until_quiet(server.captions_url(sid) + "&since=0"))
    assert code == 1000
    assert events[-1]["type"] == "session_ended"
    assert [e["type"] for e in events[:-1]] and all(e["type"] == "final" for e in events[:-1])


@pytest.mark.parametrize("query", ["&since=-5", "&since=abc", "&source=bogus"])
def test_bad_viewer_query_is_refused_with_a_reason(server, query):
    sid = server.create_session(title="bad query")["id"]
    events, code = asyncio.run(_read_until_quiet(server.captions_url(sid) + query, quiet_s=2))
    assert code == 4400 and events == []
