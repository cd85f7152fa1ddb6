"""Which line a correction replaces: one rule in the web client (caption_board.js ``correctsLine``).

The modules are loaded as they are served, in headless Chromium, from a plain static server over
``web_client/``: no model, no floorcast server.
"""

from __future__ import annotations

import asyncio
import functools
import http.server
import threading
from collections.abc import Iterator

import pytest

from support import REPO_ROOT

pytestmark = [pytest.mark.browser]

FR_TRANSLATED = {"type": "final", "seq": 1, "segment_id": "s.floor.1", "channel": "floor", "lang": "fr",
                 "source_lang": "en", "translated": True, "text": "Bonjour", "start": 1.0, "end": 2.0, "speaker": None}
FR_UNTRANSLATED = {"type": "final", "seq": 2, "segment_id": "s.floor.2", "channel": "floor", "lang": "fr",
                   "source_lang": "en", "translated": False, "text": "Good night", "start": 3.0, "end": 4.0,
                   "speaker": None}


def correction(segment_id: str, lang: str, text: str) -> dict:
    return {"type": "correction", "seq": 9, "segment_id": segment_id, "lang": lang, "text": text, "speaker": None,
            "revision": 1}


CORRECTIONS = [
    correction("s.floor.1", "fr", "Bonjour à tous"),  # the line's own language
    correction("s.floor.2", "en", "Good evening"),  # the language an untranslated line's text is in
    correction("s.floor.1", "es", "Hola"),  # the same segment in another language: not this line
    correction("s.floor.3", "fr", "Jamais dit"),  # a segment not shown
]

RULE = """async ([lines, corrections]) => {
  const { correctsLine } = await import("/caption_board.js");
  return corrections.map((c) => lines.map((line) => correctsLine(c, line)));
}"""


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture(scope="module")
def web_client_url() -> Iterator[str]:
    """``web_client/`` as static files on a free loopback port."""
    handler = functools.partial(_Quiet, directory=str(REPO_ROOT / "web_client"))
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as httpd:
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
        httpd.shutdown()


def run_in_page(chromium, url: str, script: str, arg):
    async def main():
        async with chromium() as browser:
            page = await browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            await page.goto(f"{url}/")
            result = await page.evaluate(script, arg)
            assert errors == []
            return result

    return asyncio.run(main())


def test_a_correction_replaces_the_line_of_its_segment_in_the_lines_language_or_its_texts(chromium, web_client_url):
    matches = run_in_page(chromium, web_client_url, RULE, [[FR_TRANSLATED, FR_UNTRANSLATED], CORRECTIONS])
    assert matches == [
        [True, False],  # s.floor.1 in fr: the translated line
        [False, True],  # s.floor.2 in en: the line shown untranslated, its text in English
        [False, False],  # s.floor.1 in es
        [False, False],  # s.floor.3
    ]
