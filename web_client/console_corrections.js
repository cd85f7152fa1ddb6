// The last few finals of a session, each editable in place (PATCH /v1/segments/{id}).
//
// A line being edited is never redrawn under the captioner's cursor: new
// finals are added around it and a correction from elsewhere only updates the
// text when the field has no unsaved change.

import { api } from "./auth.js";
import { correctsLine } from "./caption_board.js";
import { clock } from "./format.js";
import { markLanguage, textLanguage } from "./languages.js";

const KEEP = 5;
let counter = 0;

export class RecentCorrections {
  constructor(list) {
    this.list = list;
    this.items = new Map(); // segment_id -> {final, item, field, saved}
  }

  clear() {
    this.items.clear();
    this.list.replaceChildren();
  }

  add(event) {
    if (this.items.has(event.segment_id)) return;
    const entry = this.#item(event);
    this.items.set(event.segment_id, entry);
    this.list.append(entry.item);
    for (const [id, old] of this.items) {
      if (this.items.size <= KEEP) break;
      if (old.field === document.activeElement || old.field.value !== old.saved) continue; // being edited
      old.item.remove();
      this.items.delete(id);
    }
  }

  corrected(event) {
    const entry = this.items.get(event.segment_id);
    if (!entry || !correctsLine(event, entry.final) || entry.field.value !== entry.saved) return;
    entry.field.value = event.text;
    entry.saved = event.text;
  }

  #item(event) {
    counter += 1;
    const id = `fix-${counter}`;
    const item = document.createElement("li");
    const form = document.createElement("form");
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = `At ${clock(event.start)}${event.speaker ? `, ${event.speaker}` : ""} (${event.channel})`;
    const field = document.createElement("textarea");
    field.id = id;
    field.rows = 2;
    field.value = event.text;
    markLanguage(field, textLanguage(event));
    const row = document.createElement("div");
    row.className = "row";
    const save = document.createElement("button");
    save.type = "submit";
    save.textContent = "Save correction";
    const status = document.createElement("span");
    status.setAttribute("role", "status");
    row.append(save, status);
    form.append(label, field, row);
    item.append(form);
    const entry = { final: event, item, field, saved: event.text };
    form.addEventListener("submit", async (submit) => {
      submit.preventDefault();
      const text = field.value.trim();
      if (!text || text === entry.saved) return;
      save.disabled = true;
      status.textContent = "Saving…";
      try {
        const segment = await api(`/v1/segments/${encodeURIComponent(event.segment_id)}`,
                                  { method: "PATCH", body: { text, editor: "captioner" } });
        entry.saved = segment.text;
        field.value = segment.text;
        status.textContent = `Saved (revision ${segment.revision})`;
      } catch (error) {
        status.textContent = error.status === 404
          ? "Not saved: this line was not recorded (off the record)."
          : `Not saved: ${error.detail || error.message}`;
      } finally {
        save.disabled = false;
      }
    });
    return entry;
  }
}
