// The participant's transcript: everything said so far in the chosen language, searchable, saved
// as TXT or SRT. Loaded from the record when the pane opens, then kept up to date with the finals
// and corrections the viewer receives (Zoom's "View full transcript", StreamText's scroll-back).

import { api, joinCode } from "./auth.js";
import { correctsLine } from "./caption_board.js";
import { download } from "./downloads.js";
import { clock, say } from "./format.js";
import { markLanguage, textLanguage } from "./languages.js";

const SEARCH_DELAY_MS = 150;

export class TranscriptPane {
  constructor({ details, list, search, count, downloads }) {
    Object.assign(this, { details, list, search, count });
    this.lines = new Map(); // segment_id -> the line as a caption (lang, source_lang, translated, start, speaker, text)
    this.session = "";
    this.lang = "";
    this.loaded = false;
    this.loading = null;
    let timer = 0;
    search.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => this.#render(), SEARCH_DELAY_MS);
    });
    details.addEventListener("toggle", () => { if (details.open) this.load(); });
    downloads.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-format]");
      if (button) this.#save(button.dataset.format);
    });
  }

  /** Another session or language: forget the lines; read the record again if the pane is open. */
  reset(session, lang) {
    Object.assign(this, { session, lang, loaded: false, loading: null });
    this.lines.clear();
    this.#render();
    if (this.details.open) this.load();
  }

  #url(format) {
    const query = new URLSearchParams({ format });
    if (this.lang) query.set("lang", this.lang);
    if (joinCode()) query.set("code", joinCode());
    return `/v1/sessions/${encodeURIComponent(this.session)}/transcript?${query}`;
  }

  async load() {
    if (!this.session || this.loaded || this.loading) return this.loading;
    const mine = (this.loading = (async () => {
      say(this.count, "Loading the transcript…");
      try {
        const doc = await api(this.#url("json"));
        if (mine !== this.loading) return;
        const live = new Map(this.lines); // finals that came while the record was read
        this.lines.clear();
        for (const line of doc.lines) {
          if (!line.text.trim()) continue;
          this.lines.set(line.segment_id, recordedCaption(line, this.lang));
        }
        for (const [id, line] of live) this.lines.set(id, line);
        this.loaded = true;
        this.#sort();
        this.#render();
      } catch (error) {
        say(this.count, `The transcript could not be loaded: ${error.detail || error.message}`, true);
      } finally {
        if (mine === this.loading) this.loading = null;
      }
    })());
    return mine;
  }

  /** A caption event for the chosen language (as the live board gets it). */
  apply(event) {
    if (event.type === "final" && event.text) {
      const { segment_id, lang, source_lang, translated, start, speaker, text } = event;
      this.lines.set(segment_id, { segment_id, lang, source_lang, translated, start, speaker, text });
    } else if (event.type === "correction" && this.lines.has(event.segment_id)) {
      const line = this.lines.get(event.segment_id);
      if (correctsLine(event, line)) {
        this.lines.set(event.segment_id, { ...line, text: event.text, speaker: event.speaker });
      }
    } else {
      return;
    }
    if (this.details.open) {
      this.#sort();
      this.#render();
    }
  }

  #sort() {
    this.lines = new Map([...this.lines].sort((a, b) => a[1].start - b[1].start));
  }

  #render() {
    const query = this.search.value.trim().toLowerCase();
    const items = [];
    let previous = null;
    for (const line of this.lines.values()) {
      const turn = line.speaker && line.speaker !== previous;
      previous = line.speaker;
      if (query && !line.text.toLowerCase().includes(query)
          && !(line.speaker || "").toLowerCase().includes(query)) continue;
      items.push(this.#item(line, turn || (query && line.speaker), query));
    }
    this.list.replaceChildren(...items);
    if (!this.loaded && !items.length) return;
    const total = this.lines.size;
    say(this.count, query ? `${items.length} of ${total} line${total === 1 ? "" : "s"} match “${this.search.value.trim()}”`
      : `${total} line${total === 1 ? "" : "s"} so far`);
  }

  #item(line, withSpeaker, query) {
    const item = document.createElement("li");
    const time = document.createElement("span");
    time.className = "time";
    time.textContent = clock(line.start);
    item.append(time, " ");
    if (withSpeaker) {
      const speaker = document.createElement("span");
      speaker.className = "speaker";
      speaker.textContent = `${line.speaker}: `;
      item.append(speaker);
    }
    const text = document.createElement("span");
    markLanguage(text, textLanguage(line));
    text.append(...highlighted(line.text, query));
    item.append(text);
    return item;
  }

  async #save(format) {
    try {
      await download(this.#url(format), `transcript.${format}`);
      say(this.count, `Saved the transcript as ${format.toUpperCase()}.`);
    } catch (error) {
      say(this.count, `Not saved: ${error.detail || error.message}`, true);
    }
  }
}

/** A line of the stored transcript as the caption it was sent as: for the chosen language (`lang`, or
 *  the one spoken when none is chosen), its text the source where no translation exists. */
function recordedCaption(line, lang) {
  return { segment_id: line.segment_id, lang: lang || line.lang, source_lang: line.source_lang,
           translated: line.translated, start: line.start_s, speaker: line.speaker, text: line.text };
}

/** The text as nodes, each match of `query` (lower case) in a <mark>. */
function highlighted(text, query) {
  if (!query) return [text];
  const nodes = [];
  const lower = text.toLowerCase();
  let at = 0;
  for (let found = lower.indexOf(query); found !== -1; found = lower.indexOf(query, at)) {
    if (found > at) nodes.push(text.slice(at, found));
    const mark = document.createElement("mark");
    mark.textContent = text.slice(found, found + query.length);
    nodes.push(mark);
    at = found + query.length;
  }
  if (at < text.length) nodes.push(text.slice(at));
  return nodes;
}
