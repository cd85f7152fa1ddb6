"""The live viewer in headless Chromium, fed by real speech streamed into the real server.

What a reader sees is compared with what a plain captions websocket received
at the same time: the same finished lines, in order, each once.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from support import CaptionViewer, load_audio, normalise, pcm16, reference_text, stream_pcm, wer
from web.browser import PageLog, axe_violations, caption_lines, open_page, save_screenshot, wait_for_text
from web.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.browser, pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"
FLEURS_FR = "asr/fr/fleurs/fleurs-fr-001.ogg"
ARABIC = "asr/ar/arabic_speech_corpus/ARA_NORM_0001.wav"
LIBRISPEECH = "asr/en/librispeech/1272-128104-0000.flac"
REAL_TIME_S = 0.1  # pause per 100 ms frame: real time, so partials are shown between finals


def shown_finals(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] == "final" and e["text"]]


async def wait_for_lines(page, count: int, timeout_s: float = 60.0) -> None:
    await page.wait_for_function(
        "n => document.querySelectorAll('#caption-window .line:not(.partial)').length >= n", arg=count,
        timeout=timeout_s * 1000)


def test_viewer_shows_finished_lines_in_the_log_and_the_open_segment_outside_it(server, clip, chromium):
    pcm = pcm16(load_audio(clip(JFK)))

    async def main() -> None:
        session_id = server.create_session(title="Viewer: JFK")["id"]
        async with chromium() as browser:
            log = PageLog()
            page = await open_page(browser, server, f"/s/{session_id}", log=log, viewport={"width": 1000, "height": 700})
            await wait_for_text(page, "#connection", "^Live$")
            assert "token=" not in page.url, "the token stays out of the address bar"
            async with CaptionViewer(server, session_id) as viewer:
                streaming = asyncio.create_task(stream_pcm(server, session_id, pcm, pause_s=REAL_TIME_S))
                partial = await page.wait_for_selector("#caption-partials .line", timeout=60_000)
                where = await partial.evaluate(
                    "el => ({hidden: el.closest('[aria-hidden=true]') !== null, inLog: el.closest('[role=log]') !== null,"
                    " stable: el.querySelector('.stable') !== null, tentative: el.querySelector('.tentative') !== null,"
                    " italic: getComputedStyle(el.querySelector('.tentative')).fontStyle})")
                assert where == {"hidden": True, "inLog": False, "stable": True, "tentative": True, "italic": "italic"}
                await streaming
                finals = shown_finals(await viewer.catch_up())
        # every final once, in order, inside the announced log, marked with its language
            await wait_for_lines(page, len(finals))
            lines = await caption_lines(page)
            assert [line["text"] for line in lines] == [f["text"] for f in finals]
            assert [line["segment"] for line in lines] == [f["segment_id"] for f in finals]
            assert all(line["inLog"] and line["lang"] == "en" and line["dir"] == "ltr" for line in lines), lines
            assert await page.locator("#caption-partials .line").count() == 0, "no open segment is left"
            assert wer(reference_text(clip(JFK)), " ".join(f["text"] for f in finals)) < 0.35
            await save_screenshot(page, "viewer-light.png")

            # reader settings apply at once and are kept by the browser
            await page.click("#settings summary")
            await page.select_option("#set-theme", "dark")
            await page.select_option("#set-size", "200")
            await page.fill("#set-lines", "4")
            await page.press("#set-lines", "Tab")
            await page.reload()
            await wait_for_lines(page, len(finals))
            looks = await page.evaluate(
                "() => { const w = document.getElementById('caption-window'); const s = getComputedStyle(w);"
                " return {theme: document.documentElement.dataset.theme, bg: getComputedStyle(document.body).backgroundColor,"
                " font: parseFloat(s.fontSize), lineHeight: parseFloat(s.lineHeight), height: w.clientHeight}; }")
            assert looks["theme"] == "dark" and looks["bg"] == "rgb(18, 18, 18)"
            assert looks["font"] == pytest.approx(48, abs=0.5), "200 % of the 24 px caption size"
            assert looks["height"] == pytest.approx(4 * looks["lineHeight"], abs=0.5), "four whole lines shown"
            await page.click("#settings summary")
            assert await page.input_value("#set-size") == "200" and await page.input_value("#set-lines") == "4"
            await page.select_option("#set-size", "100")
            await page.click("#settings summary")
            await save_screenshot(page, "viewer-dark.png")
            assert log.errors == []

    asyncio.run(main())


def test_switching_language_shows_the_booth_in_french_and_the_floor_in_english(server, clip, chromium):
    english = pcm16(load_audio(clip(JFK)))
    french = pcm16(load_audio(clip(FLEURS_FR)))

    async def main() -> None:
        session = server.create_session(title="Viewer: floor and French booth",
                                        channels=[{"name": "floor"}, {"name": "booth-fr", "language": "fr"}])
        session_id = session["id"]
        async with CaptionViewer(server, session_id) as viewer:
            await asyncio.gather(stream_pcm(server, session_id, english),
                                 stream_pcm(server, session_id, french, channel="booth-fr"))
            finals = shown_finals(await viewer.catch_up())
        floor = [f for f in finals if f["channel"] == "floor"]
        booth = [f for f in finals if f["channel"] == "booth-fr"]
        assert floor and booth
        async with chromium() as browser:
            page = await open_page(browser, server, f"/s/{session_id}")
            await wait_for_lines(page, len(finals))
            assert {line["lang"] for line in await caption_lines(page)} == {"en", "fr"}, "as spoken: both channels"

            await page.select_option("#lang", "fr")
            await page.wait_for_function(
                "() => { const ls = [...document.querySelectorAll('#caption-window .line')];"
                " return ls.length > 0 && ls.every((l) => l.lang === 'fr'); }", timeout=30_000)
            lines = await caption_lines(page)
            assert [line["text"] for line in lines] == [f["text"] for f in booth]
            assert all(line["dir"] == "ltr" for line in lines)
            assert wer(reference_text(clip(FLEURS_FR)), " ".join(line["text"] for line in lines)) < 0.5
            assert re.search(r"[?&]lang=fr\b", page.url)
            selected = await page.eval_on_selector("#lang option:checked", "o => ({text: o.textContent, lang: o.lang})")
            assert selected == {"text": "Français", "lang": "fr"}

            await page.select_option("#lang", "en")
            await page.wait_for_function(
                "() => { const ls = [...document.querySelectorAll('#caption-window .line')];"
                " return ls.length > 0 && ls.every((l) => l.lang === 'en'); }", timeout=30_000)
            text = normalise(" ".join(line["text"] for line in await caption_lines(page)))
            assert "your country" in text and "accord" not in text

    asyncio.run(main())


def test_pause_holds_the_view_until_jump_to_live(server, clip, chromium):
    """WCAG 2.2.2: the reader can stop the captions moving, with the keyboard, and go back to live."""
    pcm = pcm16(load_audio(clip(JFK)))

    async def main() -> None:
        session_id = server.create_session(title="Viewer: pause")["id"]
        async with chromium() as browser:
            # bypass_csp: axe is injected as a script tag, which the page's Content-Security-Policy forbids
            page = await open_page(browser, server, f"/s/{session_id}", bypass_csp=True)
            await wait_for_text(page, "#connection", "^Live$")
            async with CaptionViewer(server, session_id) as viewer:
                streaming = asyncio.create_task(stream_pcm(server, session_id, pcm, pause_s=REAL_TIME_S))
                await wait_for_lines(page, 1)
                await page.focus("#pause")
                await page.keyboard.press("Enter")
                frozen = await page.inner_text("#caption-window")
                assert await page.inner_text("#pause") == "Resume captions"
                assert await page.is_visible("#jump-live")
                # the frozen view, an open segment included, meets WCAG 2.2 AA
                assert await axe_violations(page) == []
                await streaming
                finals = shown_finals(await viewer.catch_up())
            frozen_lines = len(await caption_lines(page))
            assert len(finals) > frozen_lines, "more lines were said while the view was paused"
            await asyncio.sleep(0.5)
            assert await page.inner_text("#caption-window") == frozen
            await wait_for_text(page, "#unseen", r"^\d+ new lines?$")

            await page.focus("#jump-live")
            await page.keyboard.press("Space")
            await wait_for_lines(page, len(finals))
            assert [line["text"] for line in await caption_lines(page)] == [f["text"] for f in finals]
            assert await page.inner_text("#pause") == "Pause captions"
            assert not await page.is_visible("#jump-live")

    asyncio.run(main())


def test_arabic_lines_run_right_to_left(server, clip, chromium):
    pcm = pcm16(load_audio(clip(ARABIC)))

    async def main() -> None:
        session_id = server.create_session(title="Viewer: Arabic", allowed_languages=["ar", "en"])["id"]
        async with CaptionViewer(server, session_id) as viewer:
            await stream_pcm(server, session_id, pcm)
            finals = shown_finals(await viewer.catch_up())
        assert finals and all(f["lang"] == "ar" for f in finals)
        async with chromium() as browser:
            page = await open_page(browser, server, f"/s/{session_id}?lang=ar")
            await wait_for_lines(page, len(finals))
            lines = await caption_lines(page)
            assert [(line["lang"], line["dir"]) for line in lines] == [("ar", "rtl")] * len(finals)
            align = await page.eval_on_selector("#caption-window .line", "el => getComputedStyle(el).direction")
            assert align == "rtl"
            option = await page.eval_on_selector("#lang option[value=ar]", "o => ({text: o.textContent, dir: o.dir})")
            assert option == {"text": "العربية", "dir": "rtl"}
            await save_screenshot(page, "viewer-arabic-rtl.png")

    asyncio.run(main())


def test_viewer_reconnects_after_the_network_drops_and_misses_nothing(server, clip, chromium):
    """The page goes through a proxy that is cut while more is said; back online it shows every line once."""
    first = pcm16(load_audio(clip(JFK)))
    second = pcm16(load_audio(clip(LIBRISPEECH)))

    async def main() -> None:
        session_id = server.create_session(title="Viewer: network drop")["id"]
        host, port = server.base_url.removeprefix("http://").split(":")
        async with TcpProxy(host, int(port)) as proxy, CaptionViewer(server, session_id) as viewer, \
                chromium() as browser:
            log = PageLog()
            page = await open_page(browser, server, f"/s/{session_id}", log=log, base_url=proxy.base_url)
            await wait_for_text(page, "#connection", "^Live$")
            await stream_pcm(server, session_id, first)
            before = shown_finals(await viewer.catch_up())
            await wait_for_lines(page, len(before))

            proxy.cut()
            await wait_for_text(page, "#connection", "Connection lost. Reconnecting in", timeout_s=10)
            assert await page.eval_on_selector("#connection", "el => el.classList.contains('problem')")
            await stream_pcm(server, session_id, second)  # said while this reader is offline
            events = await viewer.catch_up()
            proxy.restore()

            await wait_for_text(page, "#connection", "^Live$", timeout_s=30)
            finals = shown_finals(events)
            assert len(finals) > len(before)
            await wait_for_lines(page, len(finals))
            await asyncio.sleep(0.5)  # anything repeated would arrive now
            lines = await caption_lines(page)
            assert [line["segment"] for line in lines] == [f["segment_id"] for f in finals], "each line once, in order"
            assert [line["text"] for line in lines] == [f["text"] for f in finals]
            missed = [line for line in lines if line["segment"] not in {f["segment_id"] for f in before}]
            assert missed and all(line["inLog"] for line in missed), "lines said while offline are announced"
            assert not [e for e in log.errors if e.startswith("uncaught")]

    asyncio.run(main())


def test_viewer_says_when_the_session_goes_off_the_record(server, chromium):
    async def main() -> None:
        session_id = server.create_session(title="Viewer: off the record", off_record=True)["id"]
        async with chromium() as browser:
            page = await open_page(browser, server, f"/s/{session_id}")
            await wait_for_text(page, "#connection", "^Live$")
            assert await page.is_visible("#record-banner"), "a session that starts off the record says so"
            with server.http() as client:
                assert client.patch(f"/v1/sessions/{session_id}", json={"off_record": False}).is_success
                await page.wait_for_selector("#record-banner", state="hidden", timeout=10_000)
                assert client.patch(f"/v1/sessions/{session_id}", json={"off_record": True}).is_success
                await page.wait_for_selector("#record-banner", state="visible", timeout=10_000)
                assert client.post(f"/v1/sessions/{session_id}/end").is_success
            await wait_for_text(page, "#connection", "^Ended$", timeout_s=10)
            await wait_for_text(page, "#session-state", "^Ended")
            assert await page.text_content("#record-banner") == \
                "Off the record: these captions are not being recorded."

    asyncio.run(main())


@pytest.fixture(scope="module")
def translated_session(server, clip):
    """A floor-only session in which JFK spoke, and the translation directions from English by coverage."""
    pcm = pcm16(load_audio(clip(JFK)))

    async def run() -> tuple[str, list[dict]]:
        session_id = server.create_session(title="Viewer: translations")["id"]
        async with CaptionViewer(server, session_id) as viewer:
            await stream_pcm(server, session_id, pcm)
            events = await viewer.catch_up()
        return session_id, shown_finals(events)

    session_id, finals = asyncio.run(run())
    with server.http() as client:
        status = client.get("/v1/translation/status").json()
    if not status["enabled"]:
        pytest.skip("the server runs without translation")
    from_english = {d["tgt"]: d["route"] != "none" for d in status["directions"] if d["src"] == "en"}
    return session_id, finals, from_english


def test_a_language_without_a_translation_model_shows_the_original_and_says_so(server, translated_session, chromium):
    session_id, finals, from_english = translated_session
    missing = sorted(lang for lang, covered in from_english.items() if not covered)
    if not missing:
        pytest.skip("every direction from English has a translation model here")
    target = missing[0]

    async def main() -> None:
        async with chromium() as browser:
            page = await open_page(browser, server, f"/s/{session_id}?lang={target}")
            await wait_for_lines(page, len(finals))
            lines = await caption_lines(page)
            assert [line["text"] for line in lines] == [f["text"] for f in finals]
            assert all(line["lang"] == "en" for line in lines), "the original text is marked as English"
            notice = await page.text_content("#translation-notice")
            assert notice.startswith("No translation model for ") and notice.endswith("; showing the original.")
            names = await page.eval_on_selector_all("#translation-notice span", "s => s.map((e) => e.lang)")
            assert names == [target, "en"]

    asyncio.run(main())


def test_a_translated_language_shows_the_translation_marked_with_its_language(server, translated_session, chromium):
    session_id, finals, from_english = translated_session
    covered = sorted(lang for lang, ok in from_english.items() if ok)
    if not covered:
        pytest.skip("no translation model from English is installed here")
    target = covered[0]

    async def main() -> None:
        async with chromium() as browser:
            page = await open_page(browser, server, f"/s/{session_id}?lang={target}")
            await wait_for_lines(page, len(finals))
            lines = await caption_lines(page)
            assert [line["segment"] for line in lines] == [f["segment_id"] for f in finals]
            assert all(line["lang"] == target for line in lines)
            assert [line["text"] for line in lines] != [f["text"] for f in finals], "the text was translated"
            assert await page.text_content("#translation-notice") == ""

    asyncio.run(main())
