// The console's "Recognition" line: finals and utterances the recogniser dropped on this channel, by reason,
// read from the session's channel status while the captioner streams (issue: no speech silently lost).

import { api } from "./auth.js";

const REASONS = {
  "no-speech": "too quiet or no speech",
  "silence-phrase": "a phrase Whisper invents in silence",
  "compression-ratio": "a repetition loop",
  empty: "nothing recognised",
};

/** "2 utterances rejected: too quiet or no speech (1), a repetition loop (1)", or that none was. */
export function rejectionSummary(channel) {
  const finals = `${channel.finals} caption${channel.finals === 1 ? "" : "s"}`;
  if (!channel.rejected) return `${finals}; no utterance rejected`;
  const reasons = Object.entries(channel.rejected_reasons || {})
    .sort((a, b) => b[1] - a[1])
    .map(([reason, count]) => `${REASONS[reason] || reason} (${count})`);
  const what = `${channel.rejected} utterance${channel.rejected === 1 ? "" : "s"} rejected`;
  return `${finals}; ${what}${reasons.length ? `: ${reasons.join(", ")}` : ""}`;
}

/** Polls the session every few seconds and writes the chosen channel's summary into ``element``. */
export class RecognitionStatus {
  constructor(element, { everyMs = 3000, onSession = () => {} } = {}) {
    this.element = element;
    this.onSession = onSession; // each session read, e.g. for its language warnings
    this.everyMs = everyMs;
    this.timer = null;
  }

  watch(sessionId, channelName) {
    this.stop();
    const tick = () => this.refresh(sessionId, channelName);
    tick();
    this.timer = setInterval(tick, this.everyMs);
  }

  async refresh(sessionId, channelName) {
    try {
      const session = await api(`/v1/sessions/${encodeURIComponent(sessionId)}`);
      this.onSession(session, channelName);
      const channel = session.channels.find((c) => c.name === channelName);
      if (!channel) return;
      this.element.textContent = rejectionSummary(channel);
      this.element.classList.toggle("problem", channel.rejected > 0);
    } catch {
      // the session list and the caption feed report connection problems; this line just keeps its last value
    }
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }
}
