// Webcast overlay: the newest captions of one language, at most two lines, nothing else on the page.
// Only what is said from now on is shown (no backlog): old lines have no place on a live picture.
// `/overlay/{session}?lang=fr&lines=2&size=100` (size in percent); add `&token=` for the first load.

import { CaptionFeed } from "./caption_feed.js";
import { sessionFromPath } from "./format.js";
import { markLanguage, textLanguage } from "./languages.js";

const KEEP_FINALS = 3;
const CLEAR_AFTER_MS = 8000;
const params = new URL(location.href).searchParams;
const lang = params.get("lang") || "";
const lines = Math.min(4, Math.max(1, Number(params.get("lines")) || 2));
const size = Math.min(300, Math.max(50, Number(params.get("size")) || 100));
const clip = document.getElementById("overlay-clip");
const textEl = document.getElementById("overlay-text");
const statusEl = document.getElementById("overlay-status");
document.documentElement.style.setProperty("--overlay-lines", String(lines));
document.documentElement.style.setProperty("--overlay-scale", String(size / 100));

let finals = [];
let open = null;
let clearTimer = null;

function render() {
  const shown = open ? [...finals, open] : finals;
  const spans = shown.map((event) => {
    const span = document.createElement("span");
    markLanguage(span, textLanguage(event));
    span.textContent = event.text;
    return span;
  });
  const newest = shown[shown.length - 1];
  if (newest) markLanguage(textEl, textLanguage(newest));
  textEl.replaceChildren(...spans.flatMap((span, n) => (n ? [" ", span] : [span])));
  clip.hidden = spans.length === 0;
  clearTimeout(clearTimer);
  clearTimer = setTimeout(() => {
    finals = [];
    open = null;
    textEl.replaceChildren();
    clip.hidden = true;
  }, CLEAR_AFTER_MS);
}

function onEvent(event) {
  if (event.type === "partial") {
    open = event.text ? event : null;
  } else if (event.type === "final" && !event.replay) {
    if (open && open.segment_id === event.segment_id) open = null;
    if (event.text) finals = [...finals, event].slice(-KEEP_FINALS);
  } else if (event.type === "correction") {
    finals = finals.map((f) => (f.segment_id === event.segment_id && f.lang === event.lang ? { ...f, text: event.text } : f));
  } else {
    return;
  }
  render();
}

function onState(state, detail) {
  statusEl.textContent = state === "failed" ? detail : "";
  if (state === "failed") {  // shown, so whoever sets up the browser source sees what is wrong
    textEl.replaceChildren(Object.assign(document.createElement("span"), { textContent: detail }));
    clip.hidden = false;
    clearTimeout(clearTimer);
  }
  if (state === "ended") {
    finals = [];
    open = null;
    render();
  }
}

const sessionId = sessionFromPath("/overlay/");
if (sessionId) new CaptionFeed({ sessionId, lang, recent: 0, onEvent, onState }).start();
