// What the viewer says about the meeting besides the captions, and the caption window's size.
//
// * SessionState: "Captions delayed N s" (recognition lags the audio), "No speech for N s",
//   "Waiting for audio", "Ended" — from the server's `clock` events (captions websocket with
//   ?clock=1, every 2 s) and the session's end. Not a live region: the counter changes every
//   2 s; "Ended" is announced by the viewer's connection status.
// * pauseLabel: the pause button reads "Pause captions" or "Resume captions".
// * fitCaptionWindow: the caption window takes the height the page leaves free, in whole
//   lines (no padding above or below them), so a scrolled window never shows half a line;
//   the reader's "Visible lines" setting is the most it shows, MIN_LINES the least (the page
//   then scrolls).

import { when } from "./format.js";

export const DELAYED_AFTER_S = 3;
export const QUIET_AFTER_S = 10;
export const MIN_LINES = 2;

export class SessionState {
  /** @param {HTMLElement} element  where the state is written */
  constructor(element) {
    this.element = element;
    this.reset();
  }

  reset() {
    this.clock = null;
    this.speechS = null; // end of the newest caption this viewer got, on the session timeline
    this.endedAt = undefined;
    this.#render();
  }

  /** Any captions event; `clock` events carry the audio clock. */
  apply(event) {
    if (event.type === "clock") this.clock = event;
    else if (event.type === "session_ended") this.endedAt = event.ended_at ?? null;
    else if ((event.type === "final" || event.type === "partial") && typeof event.end === "number") {
      this.speechS = Math.max(this.speechS ?? 0, event.end);
    }
    this.#render();
  }

  ended(endedAt = null) {
    if (this.endedAt === undefined) this.endedAt = endedAt;
    this.#render();
  }

  /** "delayed" | "quiet" | "waiting" | "ended" | "" */
  get kind() {
    if (this.endedAt !== undefined) return "ended";
    const clock = this.clock;
    if (!clock) return "";
    if (!clock.streaming) return "waiting";
    if (clock.audio_s - clock.decoded_s >= DELAYED_AFTER_S) return "delayed";
    const speech = Math.max(this.speechS ?? 0, clock.speech_s ?? 0);
    if (clock.decoded_s - speech >= QUIET_AFTER_S) return "quiet";
    return "";
  }

  #render() {
    const kind = this.kind;
    const clock = this.clock;
    let text = "";
    if (kind === "ended") {
      const at = this.endedAt ? when(this.endedAt) : "";
      text = `Ended${at ? ` ${at}` : ""}. The captions below are the record of what was said.`;
    } else if (kind === "waiting") text = "Waiting for audio: nobody is streaming into this session.";
    else if (kind === "delayed") text = `Captions delayed ${Math.round(clock.audio_s - clock.decoded_s)} s`;
    else if (kind === "quiet") {
      const speech = Math.max(this.speechS ?? 0, clock.speech_s ?? 0);
      text = `No speech for ${Math.round(clock.decoded_s - speech)} s`;
    }
    this.element.textContent = text;
    this.element.dataset.state = kind;
    this.element.hidden = text === "";
  }
}

/** Keep the pause button's label in step with the board: "Pause captions" / "Resume captions". */
export function pauseLabel(button, paused) {
  button.textContent = paused ? "Resume captions" : "Pause captions";
}

/** Size the caption window to the free height of the page, in whole lines; refit when anything moves. */
export function fitCaptionWindow(win, maxLines) {
  const fit = () => {
    win.style.height = "";
    const style = getComputedStyle(win);
    const line = parseFloat(style.lineHeight);
    if (!(line > 0)) return;
    const frame = win.offsetHeight - win.clientHeight; // borders (the window has no vertical padding)
    const pageBottom = Math.max(...[...document.body.children]
      .filter((el) => el.getClientRects().length && getComputedStyle(el).position !== "fixed")
      .map((el) => el.getBoundingClientRect().bottom + window.scrollY
        + parseFloat(getComputedStyle(el).marginBottom || "0")));
    const others = pageBottom - win.offsetHeight; // what the page needs besides the window
    const free = window.innerHeight - others;
    const lines = Math.max(MIN_LINES, Math.min(maxLines(), Math.floor((free - frame) / line)));
    win.style.height = `${lines * line + frame}px`;
  };
  let queued = false;
  const refit = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => { queued = false; fit(); });
  };
  window.addEventListener("resize", refit);
  new MutationObserver(refit).observe(document.documentElement, { attributes: true, attributeFilter: ["class", "style"] });
  const watched = new ResizeObserver(refit);
  for (const el of document.querySelectorAll("body > header, .banners, .live-controls, #transcript, #settings, #live-now")) {
    watched.observe(el);
  }
  fit();
  return refit;
}
