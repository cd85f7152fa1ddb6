"""The captioner console in headless Chromium: a WAV file is its microphone (Chromium's fake capture device).

Audio goes the way it goes in a meeting room: getUserMedia -> AudioWorklet
(downsampled to 16 kHz PCM16 in the worklet) -> ingest websocket -> the real
server and model -> captions back on the console and on a viewer.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess

import pytest

from support import SAMPLE_RATE_HZ, CaptionViewer, expect_close, reference_text, wer
from web.browser import PageLog, caption_lines, open_page, save_screenshot, wait_for_text

pytestmark = [pytest.mark.browser, pytest.mark.model]

JFK = "asr/en/whisper_jfk/jfk.flac"


@pytest.fixture(scope="module")
def jfk_wav(clip, tmp_path_factory):
    """The JFK clip as 16-bit 48 kHz stereo WAV, the kind of file Chromium plays as a fake microphone."""
    path = tmp_path_factory.mktemp("fake-mic") / "jfk.wav"
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-i", str(clip(JFK)), "-ac", "2", "-ar", "48000",
                    "-sample_fmt", "s16", str(path)], check=True, timeout=60)
    return path


def test_console_streams_the_microphone_and_corrects_a_line(server, clip, jfk_wav, chromium):
    async def main() -> None:
        async with chromium("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                            f"--use-file-for-fake-audio-capture={jfk_wav}%noloop") as browser:
            log = PageLog()
            console = await open_page(browser, server, "/console", log=log, viewport={"width": 1100, "height": 900})

            # a new session with a French booth, made from the console
            await console.wait_for_selector("#session option", state="attached")
            if not await console.eval_on_selector("#new-session", "details => details.open"):
                await console.click("#new-session summary")  # it opens by itself when no session is live
            await console.fill("#new-title", "Console: JFK")
            await console.fill("#new-room", "Room XX")
            await console.fill("#new-booths", "fr")
            await console.click("#new-session-form button[type=submit]")
            await wait_for_text(console, "#session option:checked", "^Console: JFK — ")
            session_id = await console.text_content("#session-code")
            session = server.get_session(session_id)
            assert session["title"] == "Console: JFK" and session["room"] == "Room XX"
            assert [(c["name"], c["language"]) for c in session["channels"]] == [("floor", None), ("booth-fr", "fr")]
            assert await console.eval_on_selector_all("#channel option", "os => os.map((o) => o.value)") == \
                ["floor", "booth-fr"]

            await console.fill("#speaker", "Chair")
            await console.click("#speaker-form button[type=submit]")
            await wait_for_text(console, "#speaker-status", "^Speaker: Chair$")

            viewer_page = await open_page(browser, server, f"/s/{session_id}")
            async with CaptionViewer(server, session_id) as viewer:
                await console.click("#start")
                await wait_for_text(console, "#audio-status", "^Streaming$", timeout_s=30)
                level = await console.wait_for_function(
                    "() => document.getElementById('level').value > 0.3 && document.getElementById('level').value",
                    timeout=30_000)
                assert 0.3 < await level.json_value() <= 1
                await wait_for_text(console, "#caption-log .line", ".", timeout_s=90)
                # a new speaker takes the floor mid-stream: the label goes over the ingest websocket
                await console.fill("#speaker", "Delegate of Peru")
                await console.press("#speaker", "Enter")
                await wait_for_text(console, "#speaker-status", "^Speaker: Delegate of Peru$")
                await wait_for_text(console, "#caption-log", "your country", timeout_s=90)
                await wait_for_text(console, "#caption-log", "do for your country", timeout_s=60)
                await wait_for_text(console, "#detected", r"^English \(en\)$")
                assert await console.text_content("#elapsed") not in ("0:00", "")
                await save_screenshot(console, "console.png", full_page=True)
                assert await console.is_enabled("#stop"), await console.text_content("#audio-status")
                await console.click("#stop")
                await wait_for_text(console, "#audio-status", r"^Stopped: \d+\.\d s of audio captioned\.$", timeout_s=60)
                finals = [e for e in await viewer.catch_up() if e["type"] == "final" and e["text"]]

                captioned_s = float((await console.text_content("#audio-status")).split()[1])
                # the operator sees what the recogniser kept and dropped on the channel (real speech: nothing dropped)
                await wait_for_text(console, "#recognition", r"^[1-9]\d* captions?; no utterance rejected$", timeout_s=10)
                assert captioned_s >= 10.5, "the whole clip (11 s) went through the worklet and the socket"
                assert finals and all(f["channel"] == "floor" for f in finals)
                assert finals[0]["speaker"] == "Chair" and finals[-1]["speaker"] == "Delegate of Peru"
                assert wer(reference_text(clip(JFK)), " ".join(f["text"] for f in finals)) < 0.35
                shown = [line["text"] for line in await caption_lines(console)]
                turns = [f for n, f in enumerate(finals) if n == 0 or f["speaker"] != finals[n - 1]["speaker"]]
                said = [f">> {f['speaker']}: {f['text']}" for f in turns]  # a new speaker: ">>" and the name
                assert [line for line in shown if ": " in line] == said
                assert len(shown) == len(finals)
                # the participant sees the same turns; a screen reader hears the name, not the chevrons
                await wait_for_text(viewer_page, "#caption-window", "Delegate of Peru: ", timeout_s=20)
                viewed = [line["text"] for line in await caption_lines(viewer_page)]
                assert [line for line in viewed if line.startswith(">> ")] == said
                assert await viewer_page.eval_on_selector_all(
                    ".line.speaker-change .turn-mark", "els => els.map((el) => el.getAttribute('aria-hidden'))") == \
                    ["true"] * len(turns)

                # correct the first line from the console; the viewer replaces it in place
                first = finals[0]
                field = console.locator("#recent-finals textarea").first
                assert await field.input_value() == first["text"]
                await field.fill("And so, my fellow citizens of the world.")
                await console.locator("#recent-finals button[type=submit]").first.click()
                await wait_for_text(console, "#recent-finals [role=status]", r"^Saved \(revision 1\)$")
                await wait_for_text(viewer_page, f"[data-segment='{first['segment_id']}']",
                                    "fellow citizens of the world")
                async with asyncio.timeout(10):
                    while not any(e["type"] == "correction" for e in viewer.events):
                        await asyncio.sleep(0.05)
                correction = next(e for e in viewer.events if e["type"] == "correction")
                assert correction["segment_id"] == first["segment_id"] and correction["revision"] == 1
            assert log.errors == []

    asyncio.run(main())


def test_a_microphone_stopped_while_it_starts_is_closed_and_sends_nothing(server, jfk_wav, chromium):
    """The ingest is refused (4409) while the browser is still opening the microphone: the console stops the
    capture mid-start. It must not go on capturing behind the captioner's back, nor report a microphone error."""

    async def main() -> dict:
        async with chromium("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                            f"--use-file-for-fake-audio-capture={jfk_wav}") as browser:
            page = await open_page(browser, server, "/console")
            return await page.evaluate(
                """async () => {
                     const { MicrophoneCapture } = await import('/static/microphone.js');
                     const addModule = AudioWorklet.prototype.addModule;
                     const outcome = async (when) => {
                       let frames = 0;
                       const capture = new MicrophoneCapture({ onFrame: () => { frames += 1; } });
                       // "while the worklet loads": after the microphone opened, before the graph is built
                       AudioWorklet.prototype.addModule = when === "at_once" ? addModule
                         : async function (...args) { await capture.stop(); return addModule.apply(this, args); };
                       const starting = capture.start().then((r) => (r === null ? "stopped" : "capturing"),
                                                             (e) => `error: ${e.message}`);
                       if (when === "at_once") await capture.stop();  // before the browser opened the microphone
                       const started = await starting;
                       await new Promise((resolve) => setTimeout(resolve, 600));
                       AudioWorklet.prototype.addModule = addModule;
                       return { started, frames, stream: capture.stream, context: capture.context };
                     };
                     return { at_once: await outcome("at_once"), while_the_worklet_loads: await outcome("later") };
                   }""")

    result = asyncio.run(main())
    for when, outcome in result.items():
        assert outcome == {"started": "stopped", "frames": 0, "stream": None, "context": None}, (when, outcome)


def test_worklet_downsamples_to_16_khz_pcm16_frames_of_100_ms(server, chromium):
    """A 1 kHz tone at 48 kHz keeps its level; a 12 kHz tone (above 8 kHz) is filtered out, not aliased."""

    async def main() -> dict:
        async with chromium() as browser:
            page = await open_page(browser, server, "/console")
            result = await page.evaluate(
                """async () => {
                     async function run(freq) {
                       const rate = 48000, seconds = 1;
                       const context = new OfflineAudioContext(1, rate * seconds, rate);
                       await context.audioWorklet.addModule('/static/pcm_worklet.js');
                       const node = new AudioWorkletNode(context, 'pcm16-downsampler',
                                                         { numberOfInputs: 1, numberOfOutputs: 1, outputChannelCount: [1] });
                       const frames = [];
                       node.port.onmessage = ({ data }) => frames.push(new Int16Array(data.pcm));
                       const osc = context.createOscillator();
                       osc.frequency.value = freq;
                       const gain = context.createGain();
                       gain.gain.value = 0.5;
                       osc.connect(gain).connect(node).connect(context.destination);
                       osc.start();
                       await context.startRendering();
                       await new Promise((r) => setTimeout(r, 100));
                       const samples = frames.flatMap((f) => Array.from(f));
                       const steady = samples.slice(800, samples.length - 800);
                       const rms = Math.sqrt(steady.reduce((s, x) => s + x * x, 0) / steady.length) / 32768;
                       let crossings = 0;
                       for (let i = 1; i < steady.length; i++) if ((steady[i - 1] < 0) !== (steady[i] < 0)) crossings++;
                       return { sizes: frames.map((f) => f.length), rms, hz: crossings / 2 / (steady.length / 16000) };
                     }
                     return { low: await run(1000), high: await run(12000) };
                   }""")
            return result

    result = asyncio.run(main())
    low, high = result["low"], result["high"]
    assert low["sizes"] and set(low["sizes"][:-1]) == {1600}, "100 ms frames of 16 kHz samples"
    assert sum(low["sizes"]) == pytest.approx(16000, abs=1600)
    assert low["rms"] == pytest.approx(0.5 / math.sqrt(2), rel=0.03)
    assert low["hz"] == pytest.approx(1000, rel=0.01)
    assert high["rms"] < 0.005, f"12 kHz leaked through at RMS {high['rms']:.4f}"


def test_console_takes_over_a_channel_another_client_holds(server, jfk_wav, chromium):
    """A console left open elsewhere (or a stuck encoder) holds the floor: the captioner frees it from here."""
    async def main() -> None:
        session = server.create_session(title="Take-over")
        async with server.ingest(session["id"]) as other:
            await other.send(json.dumps({"type": "start", "encoding": "pcm_s16le", "sample_rate": SAMPLE_RATE_HZ,
                                         "channels": 1}))
            assert json.loads(await other.recv())["type"] == "ready"
            async with chromium("--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                f"--use-file-for-fake-audio-capture={jfk_wav}") as browser:
                log = PageLog()
                console = await open_page(browser, server, f"/console?session={session['id']}", log=log)
                await wait_for_text(console, "#session-code", f"^{session['id']}$")
                assert await console.is_hidden("#take-over")

                await console.click("#start")
                await wait_for_text(console, "#audio-status", "already has an ingest", timeout_s=30)
                assert await console.is_visible("#take-over")
                await console.click("#take-over")
                code, reason, _ = await expect_close(other)
                assert (code, reason) == (4403, "disconnected by an operator")
                await wait_for_text(console, "#audio-status", "^Streaming$", timeout_s=30)
                assert await console.is_hidden("#take-over")
                await console.click("#stop")
                await wait_for_text(console, "#audio-status", r"^Stopped: ", timeout_s=60)
                assert log.errors == [], log.errors

    asyncio.run(main())
