"""The captioner is warned when the session cannot recognise the language spoken: a Spanish floor streamed
from the console's microphone into a session that allows English only, and the warning's rules alone."""

from __future__ import annotations

import asyncio
import subprocess

import pytest

from models.recognizer.events import FinalCaption
from service.language_watch import STRETCH_S, LanguageWatch, english_only_warning
from web.browser import axe_violations, open_page, wait_for_text

SPANISH = ("asr/es/fleurs/fleurs-es-000.ogg", "asr/es/fleurs/fleurs-es-001.ogg", "asr/es/fleurs/fleurs-es-002.ogg")


def _final(start_s: float, end_s: float, mass: float, text: str = "words") -> FinalCaption:
    return FinalCaption(0, "en", text, start_s, end_s, allowed_language_mass=mass)


def test_a_stretch_of_speech_outside_the_sessions_languages_warns_and_one_confident_utterance_clears_it():
    watch = LanguageWatch(("en",))
    watch.observe(_final(0, STRETCH_S - 1, 0.05))
    assert watch.warning() is None, "not yet a stretch"
    watch.observe(_final(STRETCH_S, STRETCH_S + 2, 0.1, text=""))  # an empty final (noise) counts for nothing
    assert watch.warning() is None
    watch.observe(_final(STRETCH_S + 2, STRETCH_S + 4, 0.2))
    assert watch.warning() is not None and "(en)" in watch.warning()
    watch.observe(_final(STRETCH_S + 4, STRETCH_S + 6, 0.9))
    assert watch.warning() is None
    assert english_only_warning("base", True) is None
    assert "tiny.en recognises English only" in english_only_warning("tiny.en", False)


@pytest.fixture(scope="module")
def spanish_wav(clip, tmp_path_factory):
    """Three Spanish FLEURS sentences as 48 kHz stereo WAV, for Chromium's fake microphone."""
    folder = tmp_path_factory.mktemp("fake-mic-es")
    listing = folder / "list.txt"
    listing.write_text("".join(f"file '{clip(path)}'\n" for path in SPANISH))
    path = folder / "spanish.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "concat", "-safe", "0", "-i", str(listing),
                    "-ac", "2", "-ar", "48000", "-sample_fmt", "s16", str(path)], check=True, timeout=60)
    return path


@pytest.mark.browser
@pytest.mark.model
def test_the_console_warns_when_the_floor_speaks_a_language_the_session_does_not_allow(server, spanish_wav, chromium):
    session = server.create_session(title="Spanish floor, English session", allowed_languages=["en"])
    assert session["model_warning"] is None, "base is multilingual"

    async def main() -> str:
        async with chromium("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                            f"--use-file-for-fake-audio-capture={spanish_wav}%noloop") as browser:
            console = await open_page(browser, server, f"/console?session={session['id']}", bypass_csp=True)
            await wait_for_text(console, "#session-code", session["id"], timeout_s=30)
            assert await console.is_hidden("#language-warning")
            await console.click("#start")
            await wait_for_text(console, "#audio-status", "^Streaming$", timeout_s=30)
            await wait_for_text(console, "#language-warning", r"has not sounded like this session's languages \(en\)",
                                timeout_s=120)
            assert await axe_violations(console) == []
            warning = await console.inner_text("#language-warning")
            await console.click("#stop")
            return warning

    warning = asyncio.run(main())
    channel = server.get_session(session["id"])["channels"][0]
    assert channel["language_warning"] == warning
