// Webcast overlay: the newest captions of one language in one region of at most two lines, nothing
// else on the page. The lines are CaptionBoard's, as in the viewer (partials extend the running text,
// a final replaces its partial, a correction its line); only the drawing differs: every line runs on
// inline in one region whose height is N line-heights, kept scrolled to its end, so the newest text
// is on the bottom line and older text, however it wraps, scrolls up out of view.
// Only what is said from now on is shown (no backlog): old lines have no place on a live picture.
// `/overlay/{session}?lang=fr&position=top&size=large&opacity=0.6`; add `&token=` for the first load.
// The parameters and their defaults are in overlay_settings.js.

import { CaptionBoard } from "./caption_board.js";
import { CaptionFeed } from "./caption_feed.js";
import { sessionFromPath } from "./format.js";
import { applyOverlaySettings, overlaySettings } from "./overlay_settings.js";

const KEEP_FINALS = 6; // more than two lines' worth of short finals; older ones are out of view anyway
const CLEAR_AFTER_MS = 8000;
const $ = (id) => document.getElementById(id);
const settings = overlaySettings(new URL(location.href).searchParams);
applyOverlaySettings(document.documentElement, settings);

const region = $("caption-region");
const message = $("overlay-message");
const statusEl = $("overlay-status");
let clearTimer = null;

/** The newest text at the bottom of the region, whatever the board thinks of the reader's scrolling:
 *  nobody scrolls a browser source. */
function pinToBottom() {
  region.scrollTop = region.scrollHeight;
}

const board = new CaptionBoard({
  history: $("caption-history"), log: $("caption-log"), partials: $("caption-partials"),
  scroller: region, maxLines: KEEP_FINALS, onChange: pinToBottom,
});

function clearSoon() {
  clearTimeout(clearTimer);
  clearTimer = setTimeout(() => board.clear(), CLEAR_AFTER_MS);
}

function onEvent(event) {
  if (!["partial", "final", "correction"].includes(event.type)) return;
  message.hidden = true;
  board.apply(event);
  clearSoon();
}

function onState(state, detail) {
  statusEl.textContent = state === "failed" ? detail : "";
  if (state === "live") board.clearPartials(); // after a reconnect their finals or newer partials follow
  if (state === "failed") { // shown, so whoever sets up the browser source sees what is wrong
    clearTimeout(clearTimer);
    board.clear();
    message.textContent = detail;
    message.hidden = false;
  }
  if (state === "ended") board.clear();
}

const sessionId = sessionFromPath("/overlay/");
if (sessionId) {
  new CaptionFeed({ sessionId, lang: settings.lang, source: settings.source, recent: 0, onEvent, onState }).start();
}
