// Caption lines on screen: finished lines scroll up, open segments stay at the bottom.
//
// Three elements, one scroll container:
//   history   lines that were already said when the page connected (not announced)
//   log       role="log": each finished line is appended here once, so screen
//             readers speak finished segments only
//   partials  aria-hidden: open segments, stable prefix in full contrast and the
//             tail that may still change marked tentative
// While paused nothing on screen changes; events keep updating the model and
// are drawn when the view goes back to live.

import { markLanguage, textLanguage } from "./languages.js";

const FOLLOW_SLACK_PX = 8;

function keyOf(event) {
  return `${event.segment_id}|${event.lang}`;
}

/** The line a correction replaces, wherever the web client applies one: the same segment in the same
 *  language. A line is in the language it was sent for (`lang`) and, a final shown untranslated, in the
 *  language its text is written in (`textLanguage`); a correction in either is for it. */
export function correctsLine(correction, line) {
  return correction.segment_id === line.segment_id
    && (correction.lang === line.lang || correction.lang === textLanguage(line));
}

function lineElement() {
  const line = document.createElement("p");
  line.className = "line";
  const speaker = document.createElement("span");
  speaker.className = "speaker";
  const text = document.createElement("span");
  text.className = "text";
  line.append(speaker, text);
  return line;
}

// A named speaker who begins talking opens a new line with ">>" and the name, as broadcast
// captions do; screen readers hear the name only (the chevrons are hidden from them).
function fillLine(line, event, showSpeaker) {
  markLanguage(line, textLanguage(event));
  line.dataset.segment = event.segment_id;
  const [speaker, text] = line.children;
  const turn = Boolean(showSpeaker && event.speaker);
  line.classList.toggle("speaker-change", turn);
  if (turn) {
    const mark = document.createElement("span");
    mark.className = "turn-mark";
    mark.setAttribute("aria-hidden", "true");
    mark.textContent = ">> ";
    speaker.replaceChildren(mark, `${event.speaker}: `);
  } else {
    speaker.replaceChildren();
  }
  speaker.hidden = !turn;
  text.textContent = event.text;
}

export class CaptionBoard {
  constructor({ history, log, partials, scroller, maxLines = 400, onChange = () => {} }) {
    Object.assign(this, { history, log, partials, scroller, maxLines, onChange });
    this.finals = new Map(); // key -> {event, element, drawn}
    this.open = new Map(); // segment_id -> partial event
    this.announceAfterSeq = 0;
    this.paused = false;
    this.following = true;
    this.unseen = 0;
    this.programmaticScroll = false;
    scroller.addEventListener("scroll", () => this.#scrolled());
  }

  /** Finals with a seq up to this one were said before the page connected: shown, not announced. */
  setAnnounceAfter(seq) {
    this.announceAfterSeq = seq;
  }

  clear() {
    this.finals.clear();
    this.open.clear();
    this.history.replaceChildren();
    this.log.replaceChildren();
    this.partials.replaceChildren();
    this.unseen = 0;
  }

  /** Open segments are forgotten on a reconnect: their finals or newer partials follow. */
  clearPartials() {
    this.open.clear();
    this.#draw();
  }

  apply(event) {
    if (event.type === "partial") {
      if (!this.finals.has(keyOf(event))) this.open.set(event.segment_id, event);
    } else if (event.type === "final") {
      this.#final(event);
    } else if (event.type === "correction") {
      this.#correction(event);
    } else {
      return;
    }
    this.#draw();
  }

  #final(event) {
    this.open.delete(event.segment_id);
    const entry = this.finals.get(keyOf(event));
    if (event.replay) {
      if (entry && entry.event.text !== event.text) entry.event = { ...entry.event, ...event, replay: false };
      return;
    }
    if (!event.text) return; // a segment withdrawn as noise
    if (entry) {
      entry.event = event;
      return;
    }
    this.finals.set(keyOf(event), { event, element: null, shownText: null });
    if (this.paused || !this.following) this.unseen += 1;
    this.#trim();
  }

  #correction(event) {
    // finals are kept by segment and the language they were sent for: that key is correctsLine's first half
    const entry = this.finals.get(keyOf(event))
      ?? [...this.finals.values()].find((e) => correctsLine(event, e.event));
    if (entry) entry.event = { ...entry.event, text: event.text, speaker: event.speaker };
  }

  #trim() {
    while (this.finals.size > this.maxLines) {
      const [key, entry] = this.finals.entries().next().value;
      if (entry.element) entry.element.remove();
      this.finals.delete(key);
    }
  }

  pause() {
    this.paused = true;
    this.onChange();
  }

  /** Back to live: draw what arrived meanwhile and scroll to the newest line. */
  jumpToLive() {
    this.paused = false;
    this.following = true;
    this.unseen = 0;
    this.#draw();
    this.#scrollToEnd();
    this.onChange();
  }

  #draw() {
    if (this.paused) {
      this.onChange();
      return;
    }
    let previousSpeaker = null;
    for (const entry of this.finals.values()) {
      const { event } = entry;
      const showSpeaker = event.speaker !== previousSpeaker;
      previousSpeaker = event.speaker;
      if (!entry.element) {
        entry.element = lineElement();
        (event.seq <= this.announceAfterSeq ? this.history : this.log).append(entry.element);
      } else if (entry.shownText === event.text + "\u0000" + event.speaker + showSpeaker) {
        continue;
      }
      fillLine(entry.element, event, showSpeaker);
      entry.shownText = event.text + "\u0000" + event.speaker + showSpeaker;
    }
    this.#drawPartials();
    if (this.following) this.#scrollToEnd();
    this.onChange();
  }

  #drawPartials() {
    const lines = [];
    for (const event of this.open.values()) {
      if (!event.text) continue;
      const line = document.createElement("p");
      line.className = "line partial";
      markLanguage(line, event.lang);
      const stable = document.createElement("span");
      stable.className = "stable";
      stable.textContent = event.text.slice(0, event.stable);
      const tentative = document.createElement("span");
      tentative.className = "tentative";
      tentative.textContent = event.text.slice(event.stable);
      line.append(stable, tentative);
      lines.push(line);
    }
    this.partials.replaceChildren(...lines);
  }

  #scrollToEnd() {
    this.programmaticScroll = true;
    this.scroller.scrollTop = this.scroller.scrollHeight;
    requestAnimationFrame(() => { this.programmaticScroll = false; });
  }

  #scrolled() {
    if (this.programmaticScroll) return;
    const { scrollTop, scrollHeight, clientHeight } = this.scroller;
    const atEnd = scrollHeight - scrollTop - clientHeight <= FOLLOW_SLACK_PX;
    if (atEnd === this.following) return;
    this.following = atEnd;
    if (atEnd && !this.paused) this.unseen = 0;
    this.onChange();
  }

  /** Every line shown, in order (for tests and the console). */
  lines() {
    return [...this.finals.values()].map((e) => e.event);
  }
}
