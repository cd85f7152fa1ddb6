// The captions websocket of one session, reconnected with back-off, without gaps or repeats.
//
// Until the server can resume from a `seq`, a reconnect asks for the recent
// finals again (`?recent=200`): events whose `seq` was already handled are
// dropped, except finals, which are passed on with `replay: true` so that a
// correction missed while disconnected still reaches a line already shown.
//
// States reported to onState(state, detail):
//   "connecting" | "live" | "reconnecting" (detail: seconds until the next try)
//   | "ended" | "failed" (detail: a sentence for the user; no more tries)

import { wsUrl } from "./auth.js";

const BACKOFF_S = [0.5, 1, 2, 4, 8, 15];
const STABLE_AFTER_MS = 5000;
const FATAL = new Map([
  [4400, "The server refused this language or source."],
  [4401, "The access token is missing or wrong."],
  [4403, "This token or code may not watch this session."],
  [4404, "No live session has this code. It may have ended, or the code is mistyped."],
]);

export class CaptionFeed {
  /**
   * @param {{sessionId: string, lang?: string, source?: string, recent?: number, onEvent: Function,
   *          onState: Function}} options  recent: finals asked for on the first connect, at most 200
   *          (reconnects ask for everything after the last seq seen)
   */
  constructor({ sessionId, lang = "", source = "", recent = 200, clock = false, onEvent, onState = () => {} }) {
    this.sessionId = sessionId;
    this.clock = clock; // also the session's audio clock every 2 s (`clock` events, no seq)
    this.recent = recent;
    this.lang = lang;
    this.source = source;
    this.onEvent = onEvent;
    this.onState = onState;
    this.lastSeq = 0;
    this.attempt = 0;
    this.socket = null;
    this.timer = null;
    this.stopped = false;
    this.ended = false;
    this.onOnline = () => this.#retryNow();
  }

  start() {
    window.addEventListener("online", this.onOnline);
    this.#connect();
    return this;
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    clearTimeout(this.timer);
    if (this.socket) this.socket.close(1000, "viewer left");
    this.socket = null;
  }

  #connect() {
    if (this.stopped) return;
    this.onState("connecting");
    const path = `/v1/sessions/${encodeURIComponent(this.sessionId)}/captions`;
    // After a drop, ask for exactly what was missed (since=); the first time, for the recent finals.
    const resume = this.lastSeq > 0 ? { since: this.lastSeq } : { recent: this.recent };
    const socket = new WebSocket(wsUrl(path, { ...resume, lang: this.lang, source: this.source, ...(this.clock ? { clock: 1 } : {}) }));
    this.socket = socket;
    let openedAt = 0;
    socket.addEventListener("open", () => {
      openedAt = performance.now();
      this.onState("live");
    });
    socket.addEventListener("message", (message) => {
      if (performance.now() - openedAt > STABLE_AFTER_MS) this.attempt = 0;
      let event;
      try { event = JSON.parse(message.data); } catch { return; }
      this.#handle(event);
    });
    socket.addEventListener("close", (close) => {
      if (socket !== this.socket || this.stopped) return;
      if (openedAt && performance.now() - openedAt > STABLE_AFTER_MS) this.attempt = 0;
      this.#closed(close.code, close.reason);
    });
  }

  #handle(event) {
    if (event.type === "clock") {
      this.onEvent(event);
      return;
    }
    if (typeof event.seq !== "number") return;
    if (event.seq <= this.lastSeq) {
      if (event.type === "final") this.onEvent({ ...event, replay: true });
      return;
    }
    this.lastSeq = event.seq;
    if (event.type === "session_ended") this.ended = true;
    this.onEvent(event);
  }

  #closed(code, reason) {
    this.socket = null;
    if (this.ended || code === 1000) {
      this.ended = true;
      this.onState("ended");
      return;
    }
    if (FATAL.has(code)) {
      this.onState("failed", FATAL.get(code) + (reason ? ` (${reason})` : ""), code);
      return;
    }
    const base = BACKOFF_S[Math.min(this.attempt, BACKOFF_S.length - 1)];
    const delay = base * (1 + Math.random() * 0.2);
    this.attempt += 1;
    this.onState("reconnecting", Math.ceil(delay), code);
    this.timer = setTimeout(() => this.#connect(), delay * 1000);
  }

  #retryNow() {
    if (this.socket || this.stopped || this.ended) return;
    clearTimeout(this.timer);
    this.#connect();
  }
}
