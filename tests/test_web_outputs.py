"""Outputs in Chromium: staff add a Zoom output on the session page, see it deliver, stop it; the console shows it."""

from __future__ import annotations

import asyncio

import pytest

from caption_receivers import CaptionReceiver
from support import load_audio, pcm16, silence_pcm, stream_pcm
from web.browser import PageLog, axe_violations, open_page, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"


def test_staff_add_watch_and_stop_an_output_and_the_console_shows_it(server, clip, chromium):
    sid = server.create_session(title="Outputs in the browser", translation_languages=[])["id"]
    pcm = pcm16(load_audio(clip(JFK))) + silence_pcm(1.0)

    async def main(zoom: CaptionReceiver) -> None:
        async with chromium() as browser:
            log = PageLog()
            page = await open_page(browser, server, f"/staff/sessions/{sid}", log=log, bypass_csp=True)
            await page.wait_for_selector("#output-form")
            await page.select_option("#output-kind", "zoom")
            await page.fill("#output-url", f"{zoom.url}/closedcaption?id=77&signature=TOPSECRETSIG")
            await page.select_option("#output-language", "fr")
            await page.click("#output-form button[type=submit]")
            await wait_for_text(page, "#outputs-status", "^Output added")
            await page.wait_for_selector("#outputs tbody tr")
            row = await page.locator("#outputs tbody tr").inner_text()
            assert "Zoom" in row and "Français" in row and "TOPSECRETSIG" not in row
            await page.fill("#output-url", "ftp://nowhere/cc")  # refused by the browser (type=url) or the server
            await page.select_option("#output-kind", "youtube")
            await page.evaluate("document.getElementById('output-url').type = 'text'")
            await page.click("#output-form button[type=submit]")
            await wait_for_text(page, "#outputs-status", "^Not added: url: url must be http")
            assert await axe_violations(page) == []

            # an English output delivers while the floor speaks; the page shows the count
            await page.select_option("#output-kind", "zoom")
            await page.fill("#output-url", f"{zoom.url}/closedcaption?id=78")
            await page.select_option("#output-language", "en")
            await page.click("#output-form button[type=submit]")
            await page.wait_for_selector("#outputs tbody tr:nth-child(2)")
            await stream_pcm(server, sid, pcm)
            await wait_for_text(page, "#outputs tbody tr:nth-child(2)", r"[1-9]\d* delivered, 0 failed", 30)

            console = await open_page(browser, server, f"/console?session={sid}", log=log, bypass_csp=True)
            await console.wait_for_selector("#outputs tbody tr:nth-child(2)")
            assert "delivered" in await console.locator("#outputs").inner_text()
            assert await console.locator("#outputs button").count() == 0  # the console only shows them
            assert await axe_violations(console) == []

            await page.click("#outputs tbody tr:nth-child(2) button")
            await wait_for_text(page, "#outputs tbody tr:nth-child(2)", "Stopped")
            unexpected = [e for e in log.errors if "status of 422" not in e]  # the refused URL above
            assert unexpected == [] and len(log.errors) == 1, log.errors

    with CaptionReceiver() as zoom:
        asyncio.run(main(zoom))
        english = [r for r in zoom.accepted() if r.param("lang") == "en-US"]
        said = " ".join(r.body.decode() for r in english).lower()
        assert "your country" in said, said
