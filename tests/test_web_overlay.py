"""The webcast overlay as OBS shows it: a 1920x1080 browser source whose page is transparent but for the captions,
one region of at most two rendered lines that the captions roll up through, placed and sized by its URL."""

from __future__ import annotations

import asyncio
import base64

import pytest

from support import CaptionViewer, load_audio, pcm16, stream_pcm
from web.browser import PageLog, open_page, save_screenshot, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
SEVERAL = (JFK, "asr/en/fleurs/fleurs-en-000.ogg", "asr/en/fleurs/fleurs-en-001.ogg")  # about five lines of text
TWICE_REAL_TIME_S = 0.05  # pause per 100 ms frame
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


def test_overlay_shows_captions_in_the_title_safe_area_of_a_transparent_frame(server, clip, chromium):
    pcm = pcm16(load_audio(clip(JFK)))

    async def main() -> None:
        session_id = server.create_session(title="Overlay: JFK")["id"]
        async with chromium() as browser:
            log = PageLog()
            page = await open_page(browser, server, f"/overlay/{session_id}?lang=en", log=log, viewport=FRAME)
            streaming = asyncio.create_task(stream_pcm(server, session_id, pcm, pause_s=0.1))
            await wait_for_text(page, "#caption-region", "country", timeout_s=60)
            png = await page.screenshot(omit_background=True)
            style = await page.eval_on_selector(
                "#caption-region", "el => ({lineHeight: parseFloat(getComputedStyle(el).lineHeight),"
                                 " fontSize: parseFloat(getComputedStyle(el).fontSize)})")
            await save_screenshot(page, "overlay.png", omit_background=True)
            await streaming
            blank = await browser.new_page()
            pixels = await blank.evaluate(PIXEL_SCAN, base64.b64encode(png).decode())

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


# Every time the region changes: the rendered lines of its text (line boxes of one line-height from the top of
# its content), which of them are in view, and on which line the newest text (the last in the region) ends.
ROLL_UP_PROBE = """() => {
  const region = document.getElementById("caption-region");
  const samples = window.overlaySamples = [];
  const measure = () => {
    const box = region.getBoundingClientRect();
    const lineHeight = parseFloat(getComputedStyle(region).lineHeight);
    const contentTop = box.top - region.scrollTop;
    const walker = document.createTreeWalker(region, NodeFilter.SHOW_TEXT);
    const lines = new Set();
    let newestLine = null;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const range = document.createRange();
      range.selectNodeContents(node);
      const rects = [...range.getClientRects()].filter((r) => r.width > 0 && r.height > 0);
      for (const r of rects) lines.add(Math.floor(((r.top + r.bottom) / 2 - contentTop) / lineHeight));
      if (rects.length && node.textContent.trim()) {
        const last = rects[rects.length - 1];
        newestLine = Math.floor(((last.top + last.bottom) / 2 - contentTop) / lineHeight);
      }
    }
    const inView = [...lines].filter((n) => Math.min(box.bottom, contentTop + (n + 1) * lineHeight)
                                           - Math.max(box.top, contentTop + n * lineHeight) > 1);
    samples.push({ regions: document.querySelectorAll(".caption-region").length, lines: lines.size,
                   inView: inView.sort((a, b) => a - b), newestLine, text: region.textContent,
                   finals: region.querySelectorAll(".line:not(.partial):not([hidden])").length });
  };
  new MutationObserver(measure).observe(region, { childList: true, subtree: true, characterData: true });
}"""


def test_captions_roll_up_through_one_region_of_two_lines_newest_at_the_bottom(server, clip, chromium):
    pcm = b"".join(pcm16(load_audio(clip(path))) for path in SEVERAL)
    corrected = "The overlay shows this correction in place of the line it corrects."

    async def main() -> tuple[list[dict], str]:
        session_id = server.create_session(title="Overlay: roll-up")["id"]
        async with chromium() as browser, CaptionViewer(server, session_id, query="lang=en") as viewer:
            log = PageLog()
            page = await open_page(browser, server, f"/overlay/{session_id}?lang=en", log=log, viewport=FRAME)
            await page.evaluate(ROLL_UP_PROBE)
            await stream_pcm(server, session_id, pcm, pause_s=TWICE_REAL_TIME_S)
            finals = [e for e in await viewer.catch_up() if e["type"] == "final" and e["text"]]
            assert len(finals) >= 3, finals
            with server.http() as client:  # the last line, corrected while it is still on screen
                edit = client.patch(f"/v1/segments/{finals[-1]['segment_id']}", json={"text": corrected})
                assert edit.status_code == 200, edit.text
            await wait_for_text(page, "#caption-region", "in place of the line it corrects", timeout_s=10)
            await save_screenshot(page, "overlay-roll-up.png", omit_background=True)
            samples = await page.evaluate("() => window.overlaySamples")
        assert log.errors == []
        return samples, finals[-1]["text"]

    samples, replaced = asyncio.run(main())
    shown = [s for s in samples if s["lines"]]
    assert shown, "the overlay drew captions"
    assert all(s["regions"] == 1 for s in samples), "one caption region"
    assert max(s["finals"] for s in samples) >= 3, "several captions arrived in it"
    assert max(s["lines"] for s in samples) > 2, "more text than two lines came through"
    too_many = [s for s in shown if len(s["inView"]) > 2]
    assert not too_many, f"more than two rendered lines in view: {too_many[:3]}"
    assert any(len(s["inView"]) == 2 for s in shown), "two lines were in view once there was enough text"
    not_at_bottom = [s for s in shown if s["newestLine"] != s["inView"][-1]]
    assert not not_at_bottom, f"the newest text is not on the bottom line: {not_at_bottom[:3]}"
    last = samples[-1]
    assert corrected in last["text"] and replaced not in last["text"], last


SETTINGS = {  # name -> the overlay's query string (after lang=en)
    "default": "",
    "top, 36 px, box at 0.4": "position=top&size=36px&opacity=0.4",
    "large": "size=large",
    "garbage": "size=abc&opacity=9&position=left&lines=none",
}
LOOK = """(region) => { const box = region.getBoundingClientRect(); const line = region.querySelector(".line");
  const alpha = getComputedStyle(line).backgroundColor.match(/[\\d.]+/g).map(Number)[3] ?? 1;
  return { top: box.top, bottom: box.bottom, alpha, fontSize: parseFloat(getComputedStyle(region).fontSize),
           lineHeight: parseFloat(getComputedStyle(region).lineHeight), height: box.height }; }"""


def test_position_size_and_opacity_come_from_the_url_and_garbage_falls_back_to_the_defaults(server, clip, chromium):
    pcm = pcm16(load_audio(clip(JFK)))

    async def main() -> dict[str, dict]:
        session_id = server.create_session(title="Overlay: settings")["id"]
        async with chromium() as browser:
            log = PageLog()
            pages = {name: await open_page(browser, server, f"/overlay/{session_id}?lang=en&{query}", log=log,
                                           viewport=FRAME) for name, query in SETTINGS.items()}
            streaming = asyncio.create_task(stream_pcm(server, session_id, pcm, pause_s=TWICE_REAL_TIME_S))
            looks = {}
            for name, page in pages.items():
                await wait_for_text(page, "#caption-region", "country", timeout_s=60)
                looks[name] = await page.eval_on_selector("#caption-region", LOOK)
            await save_screenshot(pages["top, 36 px, box at 0.4"], "overlay-top.png", omit_background=True)
            await streaming
        assert log.errors == []
        return looks

    looks = asyncio.run(main())
    default, changed, large, garbage = (looks[name] for name in SETTINGS)
    height = FRAME["height"]
    assert default["top"] >= height / 2 and default["bottom"] <= height * (1 - TITLE_SAFE_MARGIN), default
    assert default["alpha"] == pytest.approx(0.82, abs=0.01) and 40 <= default["fontSize"] <= 60, default
    assert changed["top"] >= height * TITLE_SAFE_MARGIN and changed["bottom"] <= height / 2, changed
    assert changed["fontSize"] == 36 and changed["alpha"] == pytest.approx(0.4, abs=0.01), changed
    assert large["fontSize"] == pytest.approx(1.25 * default["fontSize"], abs=0.1), (large, default)
    for look in (changed, large):
        assert look["height"] <= 2 * look["lineHeight"] + 1, f"two lines at most at any size: {look}"
    assert garbage["fontSize"] == default["fontSize"] and garbage["alpha"] == default["alpha"], (garbage, default)
    assert garbage["bottom"] == pytest.approx(default["bottom"], abs=1), "at the bottom, as by default"
    assert garbage["height"] <= 2 * garbage["lineHeight"] + 1, "two lines, as by default"
