"""Which line a correction replaces: one rule in the web client (caption_board.js ``correctsLine``), and the
live board, the participant's transcript and the console's recent finals all follow it.

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
EXPECTED = ["Bonjour à tous", "Good evening"]

RULE = """async ([lines, corrections]) => {
  const { correctsLine } = await import("/caption_board.js");
  return corrections.map((c) => lines.map((line) => correctsLine(c, line)));
}"""

CONSUMERS = """async ([finals, corrections]) => {
  const { CaptionBoard } = await import("/caption_board.js");
  const { TranscriptPane } = await import("/viewer_transcript.js");
  const { RecentCorrections } = await import("/console_corrections.js");
  const make = (tag) => document.body.appendChild(document.createElement(tag));
  const board = new CaptionBoard({ history: make("div"), log: make("div"), partials: make("div"),
                                   scroller: make("div") });
  const details = make("details");
  details.open = true;
  const transcript = new TranscriptPane({ details, list: make("ul"), search: make("input"), count: make("p"),
                                          downloads: make("div") });
  const list = make("ul");
  const recent = new RecentCorrections(list);
  for (const event of [...finals, ...corrections]) {
    board.apply(event);
    transcript.apply(event);
    if (event.type === "final") recent.add(event); else recent.corrected(event);
  }
  return {
    board: board.lines().map((e) => e.text),
    transcript: [...transcript.list.querySelectorAll("li > span:last-child")].map((el) => [el.textContent, el.lang]),
    console: [...list.querySelectorAll("textarea")].map((el) => el.value),
  };
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


def test_the_board_the_transcript_and_the_console_replace_the_same_lines(chromium, web_client_url):
    shown = run_in_page(chromium, web_client_url, CONSUMERS, [[FR_TRANSLATED, FR_UNTRANSLATED], CORRECTIONS])
    assert shown == {"board": EXPECTED, "transcript": [[EXPECTED[0], "fr"], [EXPECTED[1], "en"]], "console": EXPECTED}
