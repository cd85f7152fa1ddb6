"""The webcast overlay as OBS shows it: a 1920x1080 browser source whose page is transparent but for the captions."""

from __future__ import annotations

import asyncio
import base64

import pytest
from playwright.async_api import async_playwright

from support import load_audio, pcm16, stream_pcm
from web.browser import PageLog, launch, open_page, save_screenshot, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
FRAME = {"width": 1920, "height": 1080}
TITLE_SAFE_MARGIN = 0.05  # 90 % title-safe area (SMPTE ST 2046-1)

PIXEL_SCAN = """async (png) => {
  const bytes = Uint8Array.from(atob(png), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext("2d");
  context.drawImage(bitmap, 0, 0);
  const { data, width, height } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  const alpha = (x, y) => data[4 * (y * width + x) + 3];
  let box = null, opaque = 0;
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const a = alpha(x, y);
    if (a === 0) continue;
    if (a >= 200) opaque++;
    box = box ? [Math.min(box[0], x), Math.min(box[1], y), Math.max(box[2], x), Math.max(box[3], y)] : [x, y, x, y];
  }
  return { size: [width, height], corners: [alpha(0, 0), alpha(width - 1, 0), alpha(0, height - 1),
           alpha(width - 1, height - 1), alpha(width >> 1, height >> 1)], painted: box, opaque };
}"""


def test_overlay_shows_captions_in_the_title_safe_area_of_a_transparent_frame(server, clip):
    pcm = pcm16(load_audio(clip(JFK)))

    async def main() -> None:
        session_id = server.create_session(title="Overlay: JFK")["id"]
        async with async_playwright() as playwright:
            browser = await launch(playwright)
            log = PageLog()
            page = await open_page(browser, server, f"/overlay/{session_id}?lang=en", log=log, viewport=FRAME)
            streaming = asyncio.create_task(stream_pcm(server, session_id, pcm, pause_s=0.1))
            await wait_for_text(page, "#overlay-text", "country", timeout_s=60)
            png = await page.screenshot(omit_background=True)
            style = await page.eval_on_selector(
                "#overlay-clip", "el => ({lineHeight: parseFloat(getComputedStyle(el).lineHeight),"
                                 " fontSize: parseFloat(getComputedStyle(el).fontSize)})")
            await save_screenshot(page, "overlay.png", omit_background=True)
            await streaming
            blank = await browser.new_page()
            pixels = await blank.evaluate(PIXEL_SCAN, base64.b64encode(png).decode())
            await browser.close()

        assert pixels["size"] == [FRAME["width"], FRAME["height"]]
        assert pixels["corners"] == [0] * 5, "the frame is transparent around the captions (and in its middle)"
        assert pixels["opaque"] > 20_000, "the captions sit on a nearly opaque box"
        left, top, right, bottom = pixels["painted"]
        margin_x, margin_y = TITLE_SAFE_MARGIN * FRAME["width"], TITLE_SAFE_MARGIN * FRAME["height"]
        assert left >= margin_x and right <= FRAME["width"] - margin_x, pixels["painted"]
        assert bottom <= FRAME["height"] - margin_y and top >= FRAME["height"] / 2, pixels["painted"]
        assert bottom - top <= 2 * style["lineHeight"] + 0.25 * style["fontSize"], "two lines at most"
        assert 40 <= style["fontSize"] <= 60, "readable on a 1080p picture"
        assert log.errors == []

    asyncio.run(main())
