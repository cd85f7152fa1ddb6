"""Accessibility of every page: axe-core finds no WCAG 2.2 A/AA violation; text at 200 % and a 320 px wide
screen lose nothing (no sideways scrolling, no caption text cut off).

Pages are opened with captions on them (a live session in which JFK's sentence was said) and with
``bypass_csp`` so that axe can be injected as a script tag.
"""

from __future__ import annotations

import asyncio

import pytest

from support import CaptionViewer, load_audio, pcm16, stream_pcm
from web.browser import axe_violations, open_page, overflow_report, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"


@pytest.fixture(scope="module")
def live_session(server, clip) -> str:
    """A live session in which JFK's sentence was said; its lines are in the record."""
    pcm = pcm16(load_audio(clip(JFK)))

    async def run() -> str:
        session_id = server.create_session(title="Accessibility: JFK", room="Assembly Hall")["id"]
        async with CaptionViewer(server, session_id) as viewer:
            await stream_pcm(server, session_id, pcm)
            await viewer.catch_up()
        return session_id

    return asyncio.run(run())


@pytest.fixture(scope="module")
def ended_session(server, clip) -> str:
    """A session in which JFK's sentence was said, then ended: its link reads as the record."""
    pcm = pcm16(load_audio(clip(JFK)))
    session_id = server.create_session(title="Accessibility: ended", room="Room 2")["id"]
    asyncio.run(stream_pcm(server, session_id, pcm))
    with server.http() as client:
        assert client.post(f"/v1/sessions/{session_id}/end").status_code == 200
    return session_id


def pages(session_id: str, ended_id: str | None = None) -> dict[str, tuple[str, str, str]]:
    """name -> (path, selector that shows the page is filled, pattern its text matches)"""
    return {
        "viewer home": ("/", "#connection", "Enter a session code"),
        "viewer": (f"/s/{session_id}", "#caption-window", "country"),
        "viewer, transcript open": (f"/s/{session_id}?transcript", "#transcript-lines", "country"),
        "console": (f"/console?session={session_id}", "#caption-window", "country"),
        "staff": ("/staff?q=country", "#hits", "country"),
        "staff session": (f"/staff/sessions/{session_id}", "#transcript", "country"),
        "overlay": (f"/overlay/{session_id}?lang=en", "html", ""),
        **({"viewer, session ended": (f"/s/{ended_id}", "#session-state", "^Ended")} if ended_id else {}),
        "console, participant link and QR code": (f"/console?session={session_id}", "#share-link", "code="),
    }


def format_violations(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"][:5])
                     for v in violations)


def test_every_page_passes_axe_wcag22_aa(server, live_session, ended_session, chromium):
    async def main() -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = {}
        async with chromium() as browser:
            for name, (path, selector, pattern) in pages(live_session, ended_session).items():
                page = await open_page(browser, server, path, bypass_csp=True)
                await wait_for_text(page, selector, pattern, timeout_s=20)
                found[name] = await axe_violations(page)
            # the viewer in each colour theme, with its settings open, and in projector mode
            page = await open_page(browser, server, f"/s/{live_session}", bypass_csp=True)
            await wait_for_text(page, "#caption-window", "country")
            await page.click("#transcript summary")  # the transcript pane open and searched, in every theme
            await page.fill("#transcript-q", "country")
            await wait_for_text(page, "#transcript-count", "match")
            await page.click("#settings summary")
            for theme in ("light", "dark", "contrast"):
                await page.select_option("#set-theme", theme)
                found[f"viewer, {theme} theme"] = await axe_violations(page)
            await page.click("#projector-on")
            found["viewer, projector mode"] = await axe_violations(page)
            assert await page.is_visible("#exit-projector") and not await page.is_visible("#lang")
            await page.keyboard.press("Escape")
            assert await page.is_visible("#lang")
            # an ended session's link, in each theme
            page = await open_page(browser, server, f"/s/{ended_session}", bypass_csp=True)
            await wait_for_text(page, "#session-state", "^Ended")
            await page.click("#settings summary")
            for theme in ("light", "dark", "contrast"):
                await page.select_option("#set-theme", theme)
                found[f"viewer of an ended session, {theme} theme"] = await axe_violations(page)
        return found

    found = asyncio.run(main())
    failing = {name: v for name, v in found.items() if v}
    assert not failing, "\n\n".join(f"{name}:\n{format_violations(v)}" for name, v in failing.items())


@pytest.mark.parametrize("layout", ["320 px wide", "text at 200 %", "captions at 200 % on 320 px"])
def test_pages_reflow_without_losing_content(server, live_session, ended_session, layout, chromium):
    viewport = {"width": 320, "height": 640} if "320" in layout else {"width": 1280, "height": 800}

    async def main() -> dict[str, dict]:
        reports = {}
        async with chromium() as browser:
            for name, (path, selector, pattern) in pages(live_session, ended_session).items():
                if name == "overlay":
                    continue
                page = await open_page(browser, server, path, viewport=viewport)
                await wait_for_text(page, selector, pattern, timeout_s=20)
                if layout == "text at 200 %":
                    await page.evaluate("() => { document.documentElement.style.fontSize = '200%'; }")
                if layout.startswith("captions") and name == "viewer":
                    await page.click("#settings summary")
                    await page.select_option("#set-size", "200")
                reports[name] = await overflow_report(page)
        return reports

    reports = asyncio.run(main())
    for name, report in reports.items():
        assert report["pageWidth"] <= report["viewport"], f"{name} scrolls sideways: {report}"
        assert report["clipped"] == [] and report["wide"] == [], f"{name} cuts content off: {report}"
