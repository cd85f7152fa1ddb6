// Caption outputs of a session (Zoom, YouTube Live, webhooks) and how their delivery goes: a table refreshed
// every few seconds. The staff session page also adds and stops outputs; the console only shows them
// (captioners may list a session's outputs, not change them).

import { api } from "./auth.js";
import { say } from "./format.js";
import { languageName } from "./languages.js";

const REFRESH_MS = 3000;
const KIND_NAMES = { zoom: "Zoom", youtube: "YouTube Live", webhook: "Webhook" };
const STATUS_NAMES = {
  idle: "Delivering (nothing waiting)", sending: "Sending", retrying: "Retrying: the destination fails",
  ended: "Ended with the session", stopped: "Stopped",
};

function cell(tag, text) {
  const node = document.createElement(tag);
  node.textContent = text;
  return node;
}

export class OutputsPanel {
  /** `table` (with a caption), `status` (role=status), `empty` (shown when there is none); `canStop` for staff. */
  constructor({ table, status, empty, canStop = false }) {
    Object.assign(this, { table, status, empty, canStop });
    this.sessionId = null;
    this.timer = null;
  }

  get base() {
    return `/v1/sessions/${encodeURIComponent(this.sessionId)}/outputs`;
  }

  show(sessionId) {
    clearInterval(this.timer);
    this.sessionId = sessionId;
    this.render([]);
    if (!sessionId) return;
    this.refresh();
    this.timer = setInterval(() => this.refresh(), REFRESH_MS);
  }

  async refresh() {
    try {
      this.render(await api(this.base));
    } catch (error) {
      say(this.status, `Outputs: ${error.detail || error.message}`, true);
    }
  }

  async add(body) {
    const made = await api(this.base, { method: "POST", body });
    await this.refresh();
    return made;
  }

  async stop(output) {
    try {
      await api(`${this.base}/${encodeURIComponent(output.id)}`, { method: "DELETE" });
      say(this.status, `${KIND_NAMES[output.kind]} output (${languageName(output.language)}) stopped.`);
      await this.refresh();
    } catch (error) {
      say(this.status, `Not stopped: ${error.detail || error.message}`, true);
    }
  }

  render(outputs) {
    this.empty.hidden = outputs.length > 0;
    this.table.hidden = outputs.length === 0;
    const body = this.table.tBodies[0] || this.table.createTBody();
    body.replaceChildren(...outputs.map((output) => this.row(output)));
  }

  row(output) {
    const row = document.createElement("tr");
    const where = cell("td", `${KIND_NAMES[output.kind] || output.kind} `);
    where.append(cell("code", output.url));
    const problem = output.last_error ? ` — ${output.last_error}` : "";
    row.append(where, cell("td", languageName(output.language)),
               cell("td", `${STATUS_NAMES[output.status] || output.status}${problem}`),
               cell("td", `${output.delivered} delivered, ${output.failed} failed` +
                    (output.queued ? `, ${output.queued} waiting` : "")));
    if (this.canStop) {
      const actions = document.createElement("td");
      if (output.status !== "stopped" && output.status !== "ended") {
        const button = cell("button", "Stop");
        button.type = "button";
        button.setAttribute("aria-label", `Stop the ${KIND_NAMES[output.kind]} output in ${languageName(output.language)}`);
        button.addEventListener("click", () => this.stop(output));
        actions.append(button);
      }
      row.append(actions);
    }
    return row;
  }
}
