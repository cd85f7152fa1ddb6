"""Headless Chromium for the web client tests: launch, open a page of the live server, run axe, measure layout.

The Debian ``chromium`` package is driven through Playwright's async API
(Playwright's own browser downloads are never used). Every test launches its
own browser with a fresh profile, so pages start with empty storage: a test
asks for the ``chromium`` fixture (tests/conftest.py) and opens the browser
inside its own event loop, ``async with chromium() as browser:``.

Why not one browser for the whole session: each test runs its coroutine with
``asyncio.run``, and Playwright's async objects belong to the loop that made
them; some tests also need launch switches of their own (a fake microphone).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.async_api import TimeoutError as PlaywrightTimeout

from support import REPO_ROOT, LiveServer

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "ARTIFACTS", "AXE_JS", "WCAG_TAGS", "Chromium", "PageLog", "launch",
           "open_page", "require_chromium",
           "axe_violations", "overflow_report", "caption_lines", "wait_for_text", "save_screenshot"]

CHROMIUM = Path(os.environ.get("FLOORCAST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
AXE_JS = REPO_ROOT / "tests" / "web" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def require_chromium() -> None:
    if not CHROMIUM.is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set FLOORCAST_CHROMIUM)")


async def launch(playwright, *extra_args: str):
    """A headless Chromium with a new, empty profile."""
    require_chromium()
    return await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                            args=[*CHROMIUM_ARGS, *extra_args])


class Chromium:
    """What the ``chromium`` fixture gives a test: ``async with chromium(*extra_args) as browser:``, a fresh
    headless browser (:func:`launch`) that is closed on the way out, however the test leaves the block."""

    @asynccontextmanager
    async def __call__(self, *extra_args: str) -> AsyncIterator:
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            browser = await launch(playwright, *extra_args)
            try:
                yield browser
            finally:
                await browser.close()


@dataclass
class PageLog:
    """What a page reported: uncaught exceptions and console errors (a missing favicon is not one)."""

    errors: list[str] = field(default_factory=list)

    def attach(self, page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught: {exc}"))
        page.on("console", lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None)


async def open_page(browser, server: LiveServer, path: str, *, log: PageLog | None = None, base_url: str | None = None,
                    **context_options):
    """A page of the server opened as a user would, with the token in its URL (``?token=``)."""
    context = await browser.new_context(**context_options)
    page = await context.new_page()
    if log is not None:
        log.attach(page)
    separator = "&" if "?" in path else "?"
    await page.goto(f"{base_url or server.base_url}{path}{separator}token={server.token}")
    return page


async def axe_violations(page, *, exclude: list[str] | None = None) -> list[dict]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is now (id, impact, help, the offending nodes).

    The page must have been opened with ``bypass_csp=True``: its Content-Security-Policy forbids the script tag.
    """
    if not AXE_JS.is_file():
        pytest.skip(f"axe-core is not installed at {AXE_JS}: npm ci --prefix tests/web")
    await page.add_script_tag(path=str(AXE_JS))
    result = await page.evaluate(
        """async ([tags, exclude]) => {
             const context = exclude.length ? { exclude: exclude.map((s) => [s]) } : document;
             const r = await axe.run(context, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
             return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                                               nodes: v.nodes.map((n) => n.target.join(" ") + " :: " + n.failureSummary) }));
           }""", [WCAG_TAGS, exclude or []])
    return result


async def overflow_report(page, selector: str = ".caption-lines .line, main *") -> dict:
    """Horizontal overflow of the page, and elements whose text is cut off (wider content than box, hidden)."""
    return await page.evaluate(
        """(selector) => {
             const root = document.documentElement;
             const clipped = [];
             for (const el of document.querySelectorAll(selector)) {
               const style = getComputedStyle(el);
               if (style.display === "none" || el.closest("[hidden], .visually-hidden")) continue;
               if (el.scrollWidth > el.clientWidth + 1 && style.overflowX !== "visible" && style.overflowX !== "auto"
                   && style.overflowX !== "scroll") clipped.push((el.id || el.className || el.tagName) + ": " + el.textContent.slice(0, 40));
             }
             const wide = [...document.querySelectorAll("body *")].filter((el) => {
               const r = el.getBoundingClientRect();
               return r.width > 0 && (r.right > innerWidth + 1 || r.left < -1) && !el.closest(".visually-hidden, .skip-link");
             }).map((el) => el.tagName + "#" + el.id + "." + el.className);
             return { pageWidth: root.scrollWidth, viewport: innerWidth, clipped, wide: wide.slice(0, 10) };
           }""", selector)


async def caption_lines(page, container: str = "#caption-window") -> list[dict]:
    """Finished caption lines shown: text, lang, dir, and whether they sit in the announced log."""
    return await page.eval_on_selector_all(
        f"{container} .line:not(.partial)",
        "els => els.map((el) => ({ text: el.textContent, lang: el.lang, dir: el.dir, segment: el.dataset.segment,"
        " inLog: !!el.closest('[role=log]') }))")


async def wait_for_text(page, selector: str, pattern: str, timeout_s: float = 60.0) -> None:
    """Wait until the element's text matches the regular expression (case-insensitive).

    On timeout the assertion names what the element showed instead, so a failure on CI says what happened."""
    try:
        await page.wait_for_function(
            "([selector, pattern]) => { const el = document.querySelector(selector);"
            " return !!el && new RegExp(pattern, 'i').test(el.textContent); }",
            arg=[selector, pattern], timeout=timeout_s * 1000)
    except PlaywrightTimeout:
        shown = await page.text_content(selector) if await page.query_selector(selector) else None
        raise AssertionError(f"{selector} did not match /{pattern}/ within {timeout_s} s; it shows {shown!r}") from None


async def save_screenshot(page, name: str, **options) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    await page.screenshot(path=str(path), **options)
    return path
