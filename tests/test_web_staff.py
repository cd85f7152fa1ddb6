"""Staff pages in headless Chromium: search the record, jump to the moment, download, edit."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
import webvtt

from support import CaptionViewer, load_audio, normalise, pcm16, stream_pcm
from web.browser import PageLog, open_page, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"


@pytest.fixture(scope="module")
def recorded(server, clip):
    """A session in which JFK's sentence was said and recorded, then ended; its finals."""
    pcm = pcm16(load_audio(clip(JFK)))

    async def run() -> tuple[str, list[dict]]:
        session_id = server.create_session(title="Staff: JFK", room="Room S-1")["id"]
        async with CaptionViewer(server, session_id) as viewer:
            await stream_pcm(server, session_id, pcm)
            events = await viewer.catch_up()
        with server.http() as client:
            assert client.post(f"/v1/sessions/{session_id}/end").status_code == 200
        return session_id, [e for e in events if e["type"] == "final" and e["text"]]

    return asyncio.run(run())


def test_search_highlights_the_phrase_and_jumps_to_the_moment(server, recorded, tmp_path, chromium):
    session_id, finals = recorded
    said = next(f for f in finals if "do for your country" in normalise(f["text"]))

    async def main() -> None:
        async with chromium() as browser:
            log = PageLog()
            page = await open_page(browser, server, "/staff", log=log)
            await page.wait_for_selector(f"#sessions a[href='/staff/sessions/{session_id}']")
            await page.fill("#q", '"do for your country"')
            await page.press("#q", "Enter")
            await wait_for_text(page, "#search-count", r"^\d+ hits?")
            hit = page.locator(f"#hits li:has(a[href^='/staff/sessions/{session_id}?'])").first
            marked = await hit.locator("mark").all_text_contents()
            assert normalise(" ".join(marked)) == "do for your country"
            assert "?q=" in page.url and "token=" not in page.url

            await hit.locator("a").click()
            await page.wait_for_url(re.compile(rf"/staff/sessions/{session_id}\?lang=en&t=[\d.]+#"))
            await page.wait_for_function("id => document.activeElement && document.activeElement.id === id",
                                         arg=said["segment_id"])
            target = page.locator(f"[id='{said['segment_id']}']")
            assert "target" in (await target.get_attribute("class") or "")
            assert await target.locator(".text").text_content() == said["text"]
            assert await target.locator(".time").text_content() == f"0:{int(said['start']):02d}"

            # the WebVTT download is a valid file with the session's words
            async with page.expect_download() as download_info:
                await page.click("#downloads a[href*='format=vtt']")
            download = await download_info.value
            # named after the session's title and date, not its id (issue 12)
            assert re.fullmatch(r"staff-jfk-\d{4}-\d\d-\d\d-[a-z]+\.vtt", download.suggested_filename), \
                download.suggested_filename
            path = tmp_path / download.suggested_filename
            await download.save_as(path)
            cues = webvtt.read(str(path)).captions
            assert cues and "your country" in normalise(" ".join(c.text for c in cues))
            assert all(c.start_in_seconds < c.end_in_seconds for c in cues)
            assert log.errors == []

    asyncio.run(main())


def test_staff_edits_a_line_and_markup_in_it_stays_text(server, recorded, chromium):
    """Caption text is never parsed as HTML: not in the transcript, not in a search snippet."""
    session_id, finals = recorded
    line = finals[0]
    edited = "<img src=x onerror=alert(1)> R&D <b>zanzibar</b> delegates"

    async def main() -> None:
        async with chromium() as browser:
            log = PageLog()
            page = await open_page(browser, server, f"/staff/sessions/{session_id}", log=log)
            item = page.locator(f"[id='{line['segment_id']}']")
            await item.locator("button", has_text="Edit").click()
            await item.locator("textarea").fill(edited)
            await item.locator("input").fill("Chair")
            await item.locator("button", has_text="Save").click()
            await wait_for_text(page, "#status", r"revision 1\)")
            item = page.locator(f"[id='{line['segment_id']}']")
            assert await item.locator(".text").text_content() == edited
            assert await item.locator(".speaker").text_content() == "Chair"
            assert await item.locator("img, b").count() == 0

            page = await open_page(browser, server, "/staff?q=zanzibar", log=log)
            hit = page.locator(f"#hits li:has(a[href*='{session_id}'])")
            await hit.wait_for()
            paragraph = hit.locator("p")
            assert "<img src=x onerror=alert(1)> R&D <b>" in await paragraph.text_content()
            assert await paragraph.locator("mark").all_text_contents() == ["zanzibar"]
            assert await paragraph.locator("img, b").count() == 0
            assert log.errors == []

    asyncio.run(main())
    with httpx.Client(base_url=server.base_url, headers=server.headers) as client:
        segment = client.get(f"/v1/segments/{line['segment_id']}").json()
    assert (segment["text"], segment["speaker"], segment["revision"]) == (edited, "Chair", 1)


def test_without_a_token_the_staff_page_asks_for_one_then_lists_the_record(server, recorded, chromium):
    session_id, _ = recorded

    async def main() -> None:
        async with chromium() as browser:
            page = await browser.new_page()
            await page.goto(f"{server.base_url}/staff")  # no ?token=: the API answers 401
            await wait_for_text(page, "#status", r"^An access token is needed\.$")
            assert "problem" in (await page.get_attribute("#status", "class")).split()
            assert await page.text_content("label[for=token-input]") == "Access token"
            await page.fill("#token-input", server.token)
            await page.click(".token-form button")
            await page.wait_for_selector(f"#sessions a[href='/staff/sessions/{session_id}']")
            row = await page.inner_text(f"#sessions tr:has(a[href='/staff/sessions/{session_id}'])")
            assert "Ended" in row and f"Read (code {session_id})" in row, row
            await page.click(f"#sessions a[href='/staff/sessions/{session_id}']")
            await wait_for_text(page, "#session-meta", "Ended")

    asyncio.run(main())
