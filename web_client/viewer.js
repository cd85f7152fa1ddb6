// The live viewer: join a session, pick a language, read captions as they come.

import { api, ApiError, hasToken, joinCode, setJoinCode, tokenPrompt } from "./auth.js";
import { CaptionBoard } from "./caption_board.js";
import { CaptionFeed } from "./caption_feed.js";
import { say, sessionFromPath } from "./format.js";
import { fillLanguageSelect, languageName, LANGUAGES } from "./languages.js";
import { bindSettingsForm } from "./viewer_settings.js";
import { markUntranslatable } from "./viewer_languages.js";
import { fitCaptionWindow, pauseLabel, SessionState } from "./viewer_states.js";
import { TranscriptPane } from "./viewer_transcript.js";

const $ = (id) => document.getElementById(id);
const LANG_KEY = "floorcast.lang";
const connection = $("connection");

const board = new CaptionBoard({
  history: $("caption-history"), log: $("caption-log"), partials: $("caption-partials"),
  scroller: $("caption-window"), onChange: showLiveControls,
});
const sessionState = new SessionState($("session-state"));
const transcript = new TranscriptPane({
  details: $("transcript"), list: $("transcript-lines"), search: $("transcript-q"), count: $("transcript-count"),
  downloads: $("transcript-downloads"),
});
let feed = null;
let sessionId = sessionFromPath("/s/") || new URL(location.href).searchParams.get("session") || "";

function chosenLanguage() {
  const fromUrl = new URL(location.href).searchParams.get("lang");
  const wanted = fromUrl ?? localStorage.getItem(LANG_KEY) ?? "";
  return wanted === "" || LANGUAGES.some((l) => l.code === wanted) ? wanted : "";
}

function showLiveControls() {
  const behind = board.paused || !board.following;
  pauseLabel($("pause"), board.paused);
  $("jump-live").hidden = !behind;
  $("unseen").textContent = behind && board.unseen ? `${board.unseen} new line${board.unseen === 1 ? "" : "s"}` : "";
}

function languageSpan(code) {
  const span = document.createElement("span");
  span.lang = code;
  span.textContent = languageName(code);
  return span;
}

/** A final in the chosen language that had to be shown untranslated says so once, until translations return. */
function noteTranslation(event) {
  const notice = $("translation-notice");
  const untranslated = event.translated === false && event.source_lang && event.source_lang !== event.lang;
  if (!untranslated) {
    if (event.source_lang) notice.replaceChildren();
    return;
  }
  if (notice.dataset.pair === `${event.source_lang}>${event.lang}` && notice.childNodes.length) return;
  notice.dataset.pair = `${event.source_lang}>${event.lang}`;
  notice.replaceChildren("No translation model for ", languageSpan(event.lang), " from ",
                         languageSpan(event.source_lang), "; showing the original.");
}

function onEvent(event) {
  sessionState.apply(event);
  if (event.type === "clock") return;
  if (event.type === "record") {
    $("record-banner").hidden = !event.off_record;
  } else if (event.type === "session_ended") {
    say(connection, "Ended");
  } else {
    if (event.type === "final" && !event.replay) noteTranslation(event);
    board.apply(event);
    transcript.apply(event);
  }
}

function onState(state, detail, code) {
  if (state === "connecting") say(connection, "Connecting…");
  else if (state === "live") {
    board.clearPartials();
    say(connection, "Live");
  } else if (state === "reconnecting") say(connection, `Connection lost. Reconnecting in ${detail} s…`, true);
  else if (state === "ended") {
    say(connection, "Ended");
    sessionState.ended();
  }
  else if (state === "failed") {
    say(connection, detail, true);
    if (code === 4401 || code === 4403) tokenPrompt($("auth"), connect, { acceptsCode: true });
  }
}

let generation = 0; // a newer connect() (another language, another session) makes older ones give up

async function connect() {
  const mine = ++generation;
  if (feed) feed.stop();
  feed = null;
  board.clear();
  sessionState.reset();
  markUntranslatable($("lang"), null);
  $("translation-notice").replaceChildren();
  transcript.reset(sessionId, $("lang").value);
  if (!sessionId) {
    say(connection, "Enter a session code to see its captions.");
    listLiveSessions();
    return;
  }
  $("join-code").value = sessionId;
  try {
    const code = joinCode() ? `?code=${encodeURIComponent(joinCode())}` : "";
    const session = await api(`/v1/sessions/${encodeURIComponent(sessionId)}${code}`);
    $("session-title").textContent = session.title;
    document.title = `${session.title} — live captions — floorcast`;
    $("record-banner").hidden = !session.off_record;
    board.setAnnounceAfter(session.last_seq);
    if (session.status === "ended") sessionState.ended(session.ended_at);
    markUntranslatable($("lang"), session);
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.status === 403)) {
      say(connection, error.status === 401 && joinCode()
        ? "That join code is not this session's. Check it and try again."
        : "This session is private: enter its join code or an access token.", true);
      tokenPrompt($("auth"), connect, { acceptsCode: true });
      return;
    }
    if (error instanceof ApiError && error.status === 429) {
      say(connection, `${error.detail}. Try again later.`, true);
      return;
    }
    if (error instanceof ApiError && error.status === 404) {
      say(connection, `No session has the code ${sessionId}.`, true);
      return;
    }
    // Offline or a server error: the feed below keeps trying.
  }
  if (mine !== generation) return;
  feed = new CaptionFeed({ sessionId, lang: $("lang").value, clock: true, onEvent, onState }).start();
}

async function listLiveSessions() {
  if (!hasToken()) return;
  try {
    const sessions = await api("/v1/sessions?status=live");
    const items = sessions.map((s) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = `/s/${encodeURIComponent(s.id)}`;
      link.textContent = `${s.title}${s.room ? ` (${s.room})` : ""} — code ${s.id}`;
      item.append(link);
      return item;
    });
    $("live-now-list").replaceChildren(...items);
    $("live-now").hidden = items.length === 0;
  } catch { /* the join form still works */ }
}

$("join-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const code = $("join-code").value.trim();
  if (!code) return;
  const url = new URL(`/s/${encodeURIComponent(code)}`, location.href);
  const lang = $("lang").value;
  if (lang) url.searchParams.set("lang", lang);
  history.pushState(null, "", url);
  if (code !== sessionId) setJoinCode(""); // a join code belongs to one session
  sessionId = code;
  connect();
});

$("lang").addEventListener("change", () => {
  const lang = $("lang").value;
  localStorage.setItem(LANG_KEY, lang);
  const url = new URL(location.href);
  if (lang) url.searchParams.set("lang", lang); else url.searchParams.delete("lang");
  history.replaceState(history.state, "", url);
  connect();
});

$("pause").addEventListener("click", () => {
  if (board.paused) board.jumpToLive(); else board.pause();
});
$("jump-live").addEventListener("click", () => {
  board.jumpToLive();
  $("caption-window").focus();
});
window.addEventListener("popstate", () => {
  sessionId = sessionFromPath("/s/") || "";
  connect();
});

// ?transcript opens the transcript pane (a link straight to the meeting so far)
if (new URL(location.href).searchParams.has("transcript")) $("transcript").open = true;
fillLanguageSelect($("lang"));
$("lang").value = chosenLanguage();
bindSettingsForm({ onLayoutChange: () => { if (!board.paused) board.jumpToLive(); } });
fitCaptionWindow($("caption-window"),
  () => Number(getComputedStyle(document.documentElement).getPropertyValue("--caption-lines")) || 30);
connect();
