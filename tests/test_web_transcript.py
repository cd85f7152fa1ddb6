"""The participant's transcript (issue 12, item 4), in Chromium: a delegate who joined late, with the join
code only, reads back the meeting so far, sees new lines arrive, searches it and saves it as TXT and SRT.
Anyone without the code gets nothing of it."""

from __future__ import annotations

import asyncio

import pytest
import srt

from security_support import http_client, secure_server  # noqa: F401  (fixture)
from support import LiveServer, load_audio, pcm16, stream_pcm
from web.browser import PageLog, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"


def _record(server, session_id: str) -> list[dict]:
    with server.admin() as client:
        lines = client.get(f"/v1/sessions/{session_id}/transcript").json()["lines"]
    return [line for line in lines if line["text"].strip()]


def test_a_late_participant_reads_searches_and_saves_the_meeting_so_far(secure_server, clip, tmp_path, chromium):
    live, session = secure_server.live, secure_server.sessions["A"]
    code = secure_server.join_codes["A"]
    captioner = LiveServer(live.base_url, secure_server.token("captioner_a"), live.data_dir, live.log_path)
    pcm = pcm16(load_audio(clip(JFK)))
    asyncio.run(stream_pcm(captioner, session, pcm))  # said before the participant arrives
    before = _record(secure_server, session)
    assert before, "JFK's sentence gave no stored line"

    async def main() -> tuple[list[str], list[str], list[str], int, dict[str, str]]:
        async with chromium() as browser:
            context = await browser.new_context(accept_downloads=True)  # a fresh browser: the code is all it has
            page = await context.new_page()
            log = PageLog()
            log.attach(page)
            await page.goto(f"{live.base_url}/s/{session}?code={code}")
            await wait_for_text(page, "#connection", "^Live$")
            assert not await page.is_visible("#transcript-lines"), "closed, it takes no room from the captions"
            await page.click("#transcript summary")
            await wait_for_text(page, "#transcript-count", f"^{len(before)} lines? so far$")
            shown = await page.eval_on_selector_all("#transcript-lines li", "els => els.map((el) => el.textContent)")
            # said again while the pane is open: the new lines join it as they are finished
            await stream_pcm(captioner, session, pcm)
            await wait_for_text(page, "#transcript-count", f"^{len(_record(secure_server, session))} lines so far$",
                                timeout_s=30)
            grown = await page.eval_on_selector_all("#transcript-lines li", "els => els.map((el) => el.textContent)")
            await page.fill("#transcript-q", "Country")
            await wait_for_text(page, "#transcript-count", "match “Country”")
            marks = await page.eval_on_selector_all("#transcript-lines mark", "els => els.map((el) => el.textContent)")
            matching = await page.locator("#transcript-lines li").count()
            saved = {}
            for fmt in ("txt", "srt"):
                async with page.expect_download() as waiting:
                    await page.click(f"#transcript-downloads button[data-format={fmt}]")
                download = await waiting.value
                path = tmp_path / download.suggested_filename
                await download.save_as(path)
                saved[fmt] = path.read_text(encoding="utf-8-sig")
                assert path.name.startswith("session-a-") and path.suffix == f".{fmt}", path.name  # title and date
            assert log.errors == []
            return shown, grown, marks, matching, saved

    shown, grown, marks, matching, saved = asyncio.run(main())
    assert [line.split(" ", 1)[1] for line in shown] == [line["text"] for line in before]
    everything = _record(secure_server, session)
    assert len(grown) == len(everything) > len(before)
    assert marks and all(mark.lower() == "country" for mark in marks)
    assert matching == sum("country" in line["text"].lower() for line in everything) >= 2
    for line in everything:
        assert line["text"] in saved["txt"]
    cues = list(srt.parse(saved["srt"]))
    assert " ".join(" ".join(c.content.split()) for c in cues) == " ".join(
        " ".join(line["text"].split()) for line in everything)


def test_without_the_code_the_transcript_is_refused(secure_server):
    session = secure_server.sessions["A"]
    with http_client(secure_server.live) as client:
        refused = client.get(f"/v1/sessions/{session}/transcript", params={"format": "txt"})
        assert refused.status_code == 401 and "detail" in refused.json()
        wrong = client.get(f"/v1/sessions/{session}/transcript", params={"code": "WRONGCOD"})
        assert wrong.status_code == 401 and "join code" in wrong.json()["detail"]
