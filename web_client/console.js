// The captioner console: pick or create a session, stream the microphone into a channel, label speakers.

import { api, showRequestProblem } from "./auth.js";
import { CaptionBoard } from "./caption_board.js";
import { CaptionFeed } from "./caption_feed.js";
import { RecentCorrections } from "./console_corrections.js";
import { RecognitionStatus } from "./console_recognition.js";
import { showLanguageWarnings } from "./console_language.js";
import { showSharing } from "./console_share.js";
import { OutputsPanel } from "./outputs_panel.js";
import { clock, say } from "./format.js";
import { languageName } from "./languages.js";
import { listMicrophones, meterValue, MicrophoneCapture } from "./microphone.js";
import { IngestSocket } from "./ingest_socket.js";

const $ = (id) => document.getElementById(id);
const SESSION_KEY = "floorcast.console.session";

const board = new CaptionBoard({
  history: $("caption-history"), log: $("caption-log"), partials: $("caption-partials"), scroller: $("caption-window"),
});
const corrections = new RecentCorrections($("recent-finals"));
const outputs = new OutputsPanel({ table: $("outputs"), status: $("outputs-status"), empty: $("outputs-empty") });
const recognition = new RecognitionStatus($("recognition"), { onSession: showLanguageWarnings });
let session = null;
let feed = null;
let capture = null;
let ingest = null;
let elapsedTimer = null;

function problem(error) {
  showRequestProblem(error, { status: $("status"), auth: $("auth"), retry: loadSessions });
}

async function loadSessions(selectId) {
  let sessions;
  try {
    sessions = await api("/v1/sessions?status=live");
  } catch (error) {
    problem(error);
    return;
  }
  const select = $("session");
  select.replaceChildren(...sessions.map((s) => new Option(`${s.title} — ${s.id}`, s.id)));
  if (!sessions.length) select.append(new Option("No live session: create one below", ""));
  const wanted = [selectId, new URL(location.href).searchParams.get("session"), sessionStorage.getItem(SESSION_KEY)]
    .find((id) => id && sessions.some((s) => s.id === id));
  select.value = wanted || (sessions[0] ? sessions[0].id : "");
  if (!sessions.length) $("new-session").open = true;
  await choose(sessions.find((s) => s.id === select.value) || null);
}

async function choose(chosen) {
  session = chosen;
  if (feed) feed.stop();
  feed = null;
  board.clear();
  corrections.clear();
  $("detected").textContent = "—";
  const id = session ? session.id : "";
  $("session-code").textContent = id || "—";
  $("start").disabled = !session;
  $("viewer-link").href = id ? `/s/${encodeURIComponent(id)}` : "/";
  $("overlay-link").href = id ? `/overlay/${encodeURIComponent(id)}` : "/";
  showSharing(session);
  outputs.show(id);
  showLanguageWarnings(session, session && session.channels.length ? session.channels[0].name : "");
  const channels = session ? session.channels : [];
  $("channel").replaceChildren(...channels.map((c) =>
    new Option(c.language ? `${c.name} (interpretation, ${languageName(c.language)})` : c.name, c.name)));
  if (!session) return;
  sessionStorage.setItem(SESSION_KEY, id);
  $("off-record").checked = session.off_record;
  say($("status"), `Session “${session.title}” (${id})`);
  board.setAnnounceAfter(session.last_seq);
  feed = new CaptionFeed({ sessionId: id, onEvent, onState: feedState }).start();
}

function feedState(state, detail) {
  if (state === "reconnecting") say($("status"), `Captions connection lost; reconnecting in ${detail} s…`, true);
  else if (state === "live") {
    board.clearPartials();
    say($("status"), `Session “${session.title}” (${session.id})`);
  } else if (state === "ended") {
    say($("status"), `Ended: “${session.title}” (${session.id}) takes no more audio; its captions stay readable.`, true);
    $("start").disabled = true;
  }
  else if (state === "failed") say($("status"), detail, true);
}

function onEvent(event) {
  if (event.type === "record") {
    $("off-record").checked = event.off_record;
    return;
  }
  board.apply(event);
  if (event.type === "final" && !event.replay && event.text) {
    if (event.channel === $("channel").value) $("detected").textContent = `${languageName(event.lang)} (${event.lang})`;
    corrections.add(event);
  } else if (event.type === "correction") {
    corrections.corrected(event);
  }
}

async function fillMicrophones() {
  const select = $("microphone");
  const current = select.value;
  const microphones = await listMicrophones();
  select.replaceChildren(new Option("Default microphone", ""),
                         ...microphones.filter((m) => m.deviceId && m.deviceId !== "default")
                           .map((m) => new Option(m.label, m.deviceId)));
  if ([...select.options].some((o) => o.value === current)) select.value = current;
}

function setStreaming(on) {
  $("start").disabled = on || !session;
  $("stop").disabled = !on;
  for (const id of ["session", "channel", "microphone", "refresh-sessions"]) $(id).disabled = on;
  clearInterval(elapsedTimer);
  if (on) {
    const started = performance.now();
    $("elapsed").textContent = "0:00";
    elapsedTimer = setInterval(() => { $("elapsed").textContent = clock((performance.now() - started) / 1000); }, 500);
    recognition.watch(session.id, $("channel").value);
  } else {
    recognition.stop();
    if (session) recognition.refresh(session.id, $("channel").value);
    $("level").value = 0;
  }
}

function ingestState(state, detail, close) {
  const status = $("audio-status");
  if (state === "failed") $("take-over").hidden = !(close && close.code === 4409 && /already has an ingest/.test(close.reason));
  else if (state !== "stopped") $("take-over").hidden = true;
  if (state === "connecting") say(status, "Connecting…");
  else if (state === "streaming") say(status, "Streaming");
  else if (state === "reconnecting") say(status, `Connection lost; reconnecting in ${detail} s (audio is kept)…`, true);
  else if (state === "failed") {
    say(status, detail, true);
    stop({ failed: true });
  }
}

async function start() {
  if (!session) return;
  setStreaming(true);
  ingest = new IngestSocket({ sessionId: session.id, channel: $("channel").value, onState: ingestState }).open();
  const mine = capture = new MicrophoneCapture({
    deviceId: $("microphone").value,
    onFrame: (pcm) => ingest && ingest.send(pcm),
    onLevel: (rms) => { $("level").value = meterValue(rms); },
  });
  try {
    // null: stopped while starting (the server refused the ingest, or Stop): what that said stays on screen
    if (await mine.start()) await fillMicrophones();
  } catch (error) {
    if (capture !== mine) return;
    say($("audio-status"), `The microphone cannot be used: ${error.message || error.name}`, true);
    capture = null;
    await stop({ failed: true });
  }
}

/** Stop the microphone and the ingest; ``failed``: something went wrong, and what stays on screen. */
async function stop({ failed = false } = {}) {
  const [wasCapture, wasIngest] = [capture, ingest];
  capture = null;
  ingest = null;
  $("stop").disabled = true;
  if (wasCapture) await wasCapture.stop();
  if (wasIngest) {
    if (!failed) say($("audio-status"), "Finishing the last captions…");
    const stopped = await wasIngest.stop();
    if (failed) { /* the problem stays on screen */ }
    else if (stopped) say($("audio-status"), `Stopped: ${stopped.audio_s.toFixed(1)} s of audio captioned.`);
    else say($("audio-status"), "Stopped.");
  }
  setStreaming(false);
}

/** Another client holds the channel (a console left open elsewhere, a stuck encoder): free it, then start here. */
async function takeOver() {
  if (!session) return;
  $("take-over").hidden = true;
  const channel = $("channel").value;
  try {
    await api(`/v1/sessions/${encodeURIComponent(session.id)}/channels/${encodeURIComponent(channel)}/disconnect`,
              { method: "POST" });
  } catch (error) {
    if (error.status !== 404) { // 404: it has left by itself meanwhile
      say($("audio-status"), `Could not disconnect the other client: ${error.detail || error.message}`, true);
      return;
    }
  }
  await start();
}

async function setSpeaker(label) {
  if (!session) return;
  const channel = $("channel").value;
  try {
    if (!(ingest && ingest.speaker(label))) {
      await api(`/v1/sessions/${encodeURIComponent(session.id)}`, { method: "PATCH", body: { speaker: label, channel } });
    }
    $("speaker-status").textContent = label ? `Speaker: ${label}` : "No speaker label";
  } catch (error) {
    $("speaker-status").textContent = `Not set: ${error.detail || error.message}`;
  }
}

$("session").addEventListener("change", () => loadSessions($("session").value));
$("refresh-sessions").addEventListener("click", () => loadSessions($("session").value));
$("start").addEventListener("click", start);
$("stop").addEventListener("click", () => stop());
$("take-over").addEventListener("click", takeOver);
$("speaker-form").addEventListener("submit", (event) => {
  event.preventDefault();
  setSpeaker($("speaker").value.trim());
});
$("clear-speaker").addEventListener("click", () => {
  $("speaker").value = "";
  setSpeaker("");
});
$("off-record").addEventListener("change", async () => {
  if (!session) return;
  const wanted = $("off-record").checked;
  try {
    await api(`/v1/sessions/${encodeURIComponent(session.id)}`, { method: "PATCH", body: { off_record: wanted } });
  } catch (error) {
    $("off-record").checked = !wanted;
    problem(error);
  }
});
$("new-session-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const booths = $("new-booths").value.toLowerCase().split(/[\s,]+/).filter(Boolean);
  const channels = [{ name: "floor" }, ...booths.map((lang) => ({ name: `booth-${lang}`, language: lang }))];
  try {
    const created = await api("/v1/sessions", {
      method: "POST", body: { title: $("new-title").value.trim(), room: $("new-room").value.trim(), channels },
    });
    $("new-session").open = false;
    await loadSessions(created.id);
    $("session").focus();
  } catch (error) {
    problem(error);
  }
});
window.addEventListener("beforeunload", (event) => {
  if (ingest) event.preventDefault();
});

fillMicrophones().catch(() => {});
loadSessions();
