// The ingest websocket of one channel: start -> ready -> binary PCM frames -> stop -> stopped.
//
// Frames produced while the socket is not ready (connecting, reconnecting) or
// while the network is slow are queued, up to 30 s of audio, and sent in order
// once it is: the server continues the same timeline after a reconnect.
// onState(state, detail): "connecting" | "streaming" (detail: offset_s)
//   | "reconnecting" (detail: seconds) | "stopped" (detail: audio_s)
//   | "failed" (detail: message; a third argument {code, reason} is the server's close)

import { wsUrl } from "./auth.js";

const MAX_QUEUED_FRAMES = 300; // 30 s of 100 ms frames
const MAX_BUFFERED_BYTES = 256 * 1024;
const BACKOFF_S = [0.5, 1, 2, 4, 8];
const STOP_TIMEOUT_MS = 120000;
const FATAL = new Map([
  [1003, "The server refused the audio."], [1007, "The server refused a message."],
  [1009, "A message was too big for the server."], [4401, "The access token is missing or wrong."],
  [4403, "The server refused this client."], [4404, "The session or channel does not exist."],
  [4408, "No audio came for too long; the channel was freed."],
  [4409, "Another client is already streaming into this channel, or the session has ended."],
]);

export class IngestSocket {
  constructor({ sessionId, channel = "floor", onState = () => {} }) {
    Object.assign(this, { sessionId, channel, onState });
    this.queue = [];
    this.dropped = 0;
    this.socket = null;
    this.ready = false;
    this.stopping = null; // {resolve} while waiting for "stopped"
    this.attempt = 0;
    this.timer = null;
    this.closed = false;
    this.resumeKey = null; // from the last "ready": proves a reconnect is this client
  }

  open() {
    this.closed = false;
    this.#connect();
    return this;
  }

  #connect() {
    this.onState("connecting");
    const path = `/v1/sessions/${encodeURIComponent(this.sessionId)}/audio`;
    const socket = new WebSocket(wsUrl(path, { channel: this.channel }));
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.ready = false;
    socket.addEventListener("open", () => {
      const start = { type: "start", encoding: "pcm_s16le", sample_rate: 16000, channels: 1 };
      if (this.resumeKey) start.resume_key = this.resumeKey; // the server may still hold the connection that dropped
      socket.send(JSON.stringify(start));
    });
    socket.addEventListener("message", (message) => this.#message(message.data));
    socket.addEventListener("close", (close) => {
      if (socket === this.socket) this.#closed(close.code, close.reason);
    });
  }

  #message(data) {
    let event;
    try { event = JSON.parse(data); } catch { return; }
    if (event.type === "ready") {
      this.resumeKey = event.resume_key || null;
      this.ready = true;
      this.attempt = 0;
      this.onState("streaming", event.offset_s);
      this.#drain();
    } else if (event.type === "stopped") {
      this.closed = true;
      this.onState("stopped", event.audio_s);
      if (this.stopping) this.stopping.resolve(event);
    }
  }

  #closed(code, reason) {
    this.socket = null;
    this.ready = false;
    if (this.closed || this.stopping) {
      if (this.stopping) this.stopping.resolve(null);
      return;
    }
    if (FATAL.has(code)) {
      this.closed = true;
      this.onState("failed", FATAL.get(code) + (reason ? ` (${reason})` : ""), { code, reason });
      return;
    }
    const delay = BACKOFF_S[Math.min(this.attempt, BACKOFF_S.length - 1)];
    this.attempt += 1;
    this.onState("reconnecting", delay);
    this.timer = setTimeout(() => this.#connect(), delay * 1000);
  }

  #drain() {
    while (this.ready && this.queue.length && this.socket.bufferedAmount < MAX_BUFFERED_BYTES) {
      this.socket.send(this.queue.shift());
    }
  }

  /** Queue one frame of PCM16 (ArrayBuffer) and send what the socket can take. */
  send(pcm) {
    if (this.closed) return;
    this.queue.push(pcm);
    if (this.queue.length > MAX_QUEUED_FRAMES) {
      this.queue.shift();
      this.dropped += 1;
    }
    this.#drain();
  }

  /** Attach a speaker label to the following finals of this channel ("" clears it). */
  speaker(label) {
    if (!this.ready) return false;
    this.socket.send(JSON.stringify({ type: "speaker", label }));
    return true;
  }

  /** Send what is queued, then "stop"; resolves once the server confirmed (or the socket closed). */
  async stop() {
    clearTimeout(this.timer);
    if (!this.socket) {
      this.closed = true;
      this.onState("stopped", null);
      return null;
    }
    const socket = this.socket;
    const done = new Promise((resolve) => { this.stopping = { resolve }; });
    const sendStop = () => {
      if (!this.ready) return false;
      this.#drain();
      if (this.queue.length) return false;
      socket.send(JSON.stringify({ type: "stop" }));
      return true;
    };
    const poll = setInterval(() => { if (sendStop()) clearInterval(poll); }, 50);
    const timeout = setTimeout(() => this.stopping && this.stopping.resolve(null), STOP_TIMEOUT_MS);
    const result = await done;
    clearInterval(poll);
    clearTimeout(timeout);
    this.closed = true;
    this.stopping = null;
    if (socket.readyState === WebSocket.OPEN) socket.close(1000, "stopped");
    return result;
  }
}
