"""A meeting as its participants live it, in headless Chromium against a real server: the link
``floorcast stream`` prints opens in a fresh browser (no token), shows the captions, says "Ended" when the
stream has stopped, and still shows what was said afterwards; the console shows the link, the join code and
a QR code of the link; the viewer says when no speech comes or captions fall behind, and its caption window
fills the screen in whole lines."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
from urllib.parse import unquote

import pytest

from support import REPO_ROOT, ServerProcess, floorcast_command, load_audio, pcm16, silence_pcm
from web.browser import axe_violations, caption_lines, open_page, save_screenshot, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
LONG = ("asr/en/fleurs/fleurs-en-000.ogg", "asr/en/fleurs/fleurs-en-001.ogg", "asr/en/fleurs/fleurs-en-002.ogg",
        "asr/en/fleurs/fleurs-en-003.ogg")
GRACE_S = 4.0


@pytest.fixture(scope="module")
def quick_server(data_dir, base_model, tmp_path_factory):
    """Sessions end 4 s after their last ingest client leaves."""
    env = {"FLOORCAST_SESSION_END_GRACE_S": str(GRACE_S), "FLOORCAST_SESSION_IDLE_TIMEOUT_S": "600"}
    with ServerProcess(data_dir, tmp_path_factory.mktemp("web-lifecycle") / "server.log", env=env) as process:
        yield process.live


def _stored_texts(server, session_id: str) -> list[str]:
    with server.http() as client:
        lines = client.get(f"/v1/sessions/{session_id}/transcript").json()["lines"]
    return [line["text"] for line in lines if line["text"]]


def test_the_printed_link_opens_for_a_participant_shows_captions_then_ended_then_the_record(quick_server, clip,
                                                                                            chromium):
    server = quick_server
    env = {**os.environ, "FLOORCAST_ADMIN_TOKEN": server.token, "COLUMNS": "200"}
    streamer = subprocess.Popen([*floorcast_command(), "stream", str(clip(JFK)), "--server", server.base_url,
                                 "--json", "--speed", "1", "--languages", "en", "--title", "Plenary"],
                                cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    session_id = streamer.stderr.readline().strip()
    printed = streamer.stderr.readline().strip()
    match = re.fullmatch(r"participants: (\S+)", printed)
    assert match, printed
    link = match.group(1)
    public = server.get_session(session_id)
    assert public["public"] is False and public["allowed_languages"] == ["en"]
    assert link == f"{server.base_url}/s/{session_id}?code={public['join_code']}"
    assert re.fullmatch(r"[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}", session_id), "no look-alike characters"

    async def main() -> None:
        async with chromium() as browser:
            participant = await (await browser.new_context(bypass_csp=True)).new_page()  # no token: a participant
            await participant.goto(link)
            await wait_for_text(participant, "#connection", "^Live$", timeout_s=30)
            assert "code=" not in participant.url, "the join code leaves the address bar once kept"
            await participant.wait_for_selector("#caption-log .line", timeout=60_000)
            await asyncio.to_thread(streamer.wait, 120)
            assert streamer.returncode == 0, streamer.stderr.read()
            # the grace period itself is timed in test_session_lifecycle.py
            await wait_for_text(participant, "#connection", "^Ended$", timeout_s=GRACE_S + 15)
            await wait_for_text(participant, "#session-state", "^Ended")
            stored = _stored_texts(server, session_id)
            assert [line["text"] for line in await caption_lines(participant)] == stored
            assert await axe_violations(participant) == []

            # later, the same link still reads as the record of the meeting
            later = await (await browser.new_context()).new_page()
            await later.goto(link)
            await wait_for_text(later, "#session-state", "^Ended", timeout_s=30)
            await later.wait_for_function("n => document.querySelectorAll('#caption-window .line').length >= n",
                                          arg=len(stored), timeout=30_000)
            assert [line["text"] for line in await caption_lines(later)] == stored

            # staff and captioners no longer see it among the live sessions
            home = await open_page(browser, server, "/")
            await wait_for_text(home, "#connection", "Enter a session code")
            await asyncio.sleep(1)
            assert session_id not in await home.inner_text("body")

    asyncio.run(main())
    assert server.get_session(session_id)["status"] == "ended"


def test_the_console_shows_the_participant_link_the_join_code_and_a_qr_code_then_ended(quick_server, chromium):
    from service.routes_share import qr_svg

    server = quick_server
    session = server.create_session(title="Console sharing")
    sid, code = session["id"], session["join_code"]
    expected = f"{server.base_url}/s/{sid}?code={code}"
    assert session["participant_link"] == f"/s/{sid}?code={code}"

    async def main() -> None:
        async with chromium() as browser:
            page = await open_page(browser, server, f"/console?session={sid}", bypass_csp=True)
            await wait_for_text(page, "#share-link", re.escape(expected), timeout_s=30)
            assert await page.get_attribute("#share-link", "href") == expected
            assert await page.inner_text("#share-code") == code
            await page.wait_for_selector("#share-qr:not([hidden])", timeout=15_000)
            src = await page.get_attribute("#share-qr", "src")
            prefix = "data:image/svg+xml;charset=utf-8,"
            assert src.startswith(prefix) and unquote(src[len(prefix):]).encode() == qr_svg(
                expected, title=f"QR code: {expected}"), "the QR code encodes exactly the participant link"
            shown = await page.eval_on_selector("#share-qr", "el => [el.naturalWidth, el.getBoundingClientRect().width]")
            assert shown[0] > 100 and shown[1] >= 150, shown
            assert await axe_violations(page) == []
            with server.http() as client:
                assert client.post(f"/v1/sessions/{sid}/end").status_code == 200
            await wait_for_text(page, "#status", "^Ended", timeout_s=20)

    asyncio.run(main())

    # a participant's view of the API never carries the code, nor the QR code of it
    with server.http() as client:
        created = client.post("/v1/tokens", json={"role": "viewer", "session_id": sid})
        assert created.status_code == 201, created.text
        viewer = {"Authorization": f"Bearer {created.json()['token']}"}
        seen = client.get(f"/v1/sessions/{sid}", headers=viewer).json()
        assert seen["join_code"] is None and seen["participant_link"] is None
        assert client.get(f"/v1/sessions/{sid}/qr.svg", headers=viewer).status_code == 403


def test_the_viewer_says_no_speech_then_captions_delayed_and_fills_the_screen_in_whole_lines(quick_server, clip,
                                                                                             chromium):
    server = quick_server
    sid = server.create_session(title="Viewer states", allowed_languages=["en"])["id"]
    # 36 s of speech, four times: recognition stays behind for ~10 s, several 2-s clock ticks. Once (36 s)
    # it caught up in ~2.4 s, and whether a tick fell inside that window was a coin toss.
    speech = b"".join(pcm16(load_audio(clip(path))) for path in LONG) * 4

    async def main() -> None:
        async with chromium() as browser:
            page = await open_page(browser, server, f"/s/{sid}", bypass_csp=True,
                                   viewport={"width": 900, "height": 800})
            await wait_for_text(page, "#connection", "^Live$")
            await wait_for_text(page, "#session-state", "^Waiting for audio", timeout_s=10)
            async with server.ingest(sid) as ws:  # stays connected while the viewer looks
                await ws.send(json.dumps({"type": "start", "sample_rate": 16000, "channels": 1}))
                await ws.recv()
                await ws.send(silence_pcm(14.0))
                await wait_for_text(page, "#session-state", r"^No speech for (1\d|[2-9]\d) s$", timeout_s=20)
                assert await axe_violations(page) == []

                async def send_speech() -> None:  # two and a half minutes of speech at once: recognition falls behind
                    for i in range(0, len(speech), 32_000):
                        await ws.send(speech[i:i + 32_000])
                    await ws.send(json.dumps({"type": "stop"}))

                sending = asyncio.create_task(send_speech())
                await wait_for_text(page, "#session-state", r"^Captions delayed \d+ s$", timeout_s=60)
                delayed = int(re.search(r"\d+", await page.inner_text("#session-state")).group())
                assert delayed >= 3
                await sending
                assert json.loads(await asyncio.wait_for(ws.recv(), 300))["type"] == "stopped"
            await page.wait_for_function("() => document.querySelectorAll('#caption-log .line').length >= 4",
                                         timeout=60_000)
            await page.wait_for_function("() => !document.getElementById('session-state').textContent"
                                         ".startsWith('Captions delayed')", timeout=30_000)
            await page.click("#settings summary")
            await page.select_option("#set-size", "200")  # more lines than the window holds
            await page.click("#settings summary")
            for mode in ("page", "projector"):
                if mode == "projector":
                    await page.click("#settings summary")
                    await page.click("#projector-on")
                    await asyncio.sleep(0.5)
                await page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
                geometry = await page.evaluate(
                    """() => { const w = document.getElementById('caption-window'); w.scrollTop = w.scrollHeight;
                       const line = parseFloat(getComputedStyle(w).lineHeight);
                       const box = w.getBoundingClientRect();
                       const bottom = Math.max(...[...document.body.children].filter((el) => el.getClientRects().length
                         && getComputedStyle(el).position !== 'fixed').map((el) => el.getBoundingClientRect().bottom));
                       const first = [...w.querySelectorAll('.line')].find((el) =>
                         el.getBoundingClientRect().bottom > box.top + w.clientTop + 0.5);
                       return {line, inner: w.clientHeight, top: box.top + w.clientTop,
                               firstTop: first.getBoundingClientRect().top, pageBottom: bottom,
                               viewport: innerHeight, scrolled: w.scrollTop,
                               finals: w.querySelectorAll('.line').length}; }""")
                await save_screenshot(page, f"viewer-fill-{mode}.png")
                lines = geometry["inner"] / geometry["line"]
                assert lines == pytest.approx(round(lines), abs=0.02) and round(lines) >= 4, (mode, geometry)
                assert geometry["scrolled"] > 0, (mode, geometry)
                offset = (geometry["top"] - geometry["firstTop"]) % geometry["line"]
                assert min(offset, geometry["line"] - offset) < 1, f"{mode}: a line cut at the top: {geometry}"
                assert geometry["viewport"] - geometry["line"] < geometry["pageBottom"] <= geometry["viewport"] + 1, (
                    f"{mode}: the captions fill the screen", geometry)
            assert await axe_violations(page) == []

    asyncio.run(main())
