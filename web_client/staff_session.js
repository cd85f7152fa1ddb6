// Staff: one session's transcript in any language, with times and speakers; downloads; editing.
// `?lang=fr&t=12.3#segment_id` (a search hit) opens the transcript at that moment.

import { api, showRequestProblem } from "./auth.js";
import { bindDownloads } from "./downloads.js";
import { clock, say, sessionFromPath, sessionStatus, when } from "./format.js";
import { fillLanguageSelect, languageName, LANGUAGES, markLanguage } from "./languages.js";
import { OutputsPanel } from "./outputs_panel.js";

const $ = (id) => document.getElementById(id);
const FORMATS = [["srt", "SubRip (.srt)"], ["vtt", "WebVTT (.vtt)"], ["ttml", "EBU-TT-D (.ttml)"], ["txt", "Text (.txt)"],
  ["docx", "Word (.docx)"]];
const sessionId = sessionFromPath("/staff/sessions/");
const base = `/v1/sessions/${encodeURIComponent(sessionId)}`;

function problem(error, retry) {
  showRequestProblem(error, { status: $("status"), auth: $("auth"), retry });
}

function transcriptUrl(format) {
  const params = new URLSearchParams({ format });
  if ($("lang").value) params.set("lang", $("lang").value);
  return `${base}/transcript?${params}`;
}

function showDownloads() {
  $("downloads").replaceChildren(...FORMATS.map(([format, label]) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = transcriptUrl(format);
    link.dataset.download = `${sessionId}.${format}`;
    link.textContent = `Download ${label}`;
    item.append(link);
    return item;
  }));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function lineItem(line) {
  const item = element("li");
  item.id = line.segment_id;
  item.tabIndex = -1;
  item.dataset.start = String(line.start_s);
  const time = element("a", "time", clock(line.start_s));
  time.href = `#${encodeURIComponent(line.segment_id)}`;
  time.setAttribute("aria-label", `At ${clock(line.start_s)}`);
  const body = element("div", "body");
  if (line.speaker) body.append(element("span", "speaker", line.speaker));
  const text = element("p", "text", line.text);
  markLanguage(text, line.available === false ? line.source_lang : line.lang);
  body.append(text);
  const notes = [];
  if (line.available === false) notes.push(`original ${languageName(line.source_lang)}: no translation`);
  else if (line.translated) notes.push(`translated from ${languageName(line.source_lang)}`);
  if (line.revision > 0) notes.push(`edited (revision ${line.revision})`);
  if (notes.length) body.append(element("p", "meta", notes.join(" · ")));
  const actions = element("div", "actions");
  if (!line.translated) {
    const edit = element("button", "", "Edit");
    edit.type = "button";
    edit.setAttribute("aria-label", `Edit the line at ${clock(line.start_s)}`);
    edit.addEventListener("click", () => openEditor(item, line, edit));
    actions.append(edit);
  }
  item.append(time, body, actions);
  return item;
}

function openEditor(item, line, editButton) {
  editButton.hidden = true;
  const form = element("form", "edit-form");
  const textId = `edit-${item.id}-text`;
  const speakerId = `edit-${item.id}-speaker`;
  const textLabel = element("label", "", "Text");
  textLabel.htmlFor = textId;
  const field = element("textarea");
  field.id = textId;
  field.rows = 3;
  field.value = line.text;
  markLanguage(field, line.lang);
  const speakerLabel = element("label", "", "Speaker");
  speakerLabel.htmlFor = speakerId;
  const speaker = element("input");
  speaker.id = speakerId;
  speaker.maxLength = 120;
  speaker.value = line.speaker || "";
  const row = element("div", "row");
  const save = element("button", "primary", "Save");
  save.type = "submit";
  const cancel = element("button", "", "Cancel");
  cancel.type = "button";
  const status = element("span");
  status.setAttribute("role", "status");
  row.append(save, cancel, status);
  form.append(textLabel, field, speakerLabel, speaker, row);
  item.querySelector(".body").append(form);
  field.focus();
  const close = () => {
    form.remove();
    editButton.hidden = false;
    editButton.focus();
  };
  cancel.addEventListener("click", close);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    if (field.value.trim() !== line.text) body.text = field.value.trim();
    if (speaker.value.trim() !== (line.speaker || "")) body.speaker = speaker.value.trim();
    if (!Object.keys(body).length) return close();
    save.disabled = true;
    status.textContent = "Saving…";
    try {
      const segment = await api(`/v1/segments/${encodeURIComponent(line.segment_id)}`,
                                { method: "PATCH", body: { ...body, editor: "staff" } });
      const updated = lineItem({ ...line, text: segment.text, speaker: segment.speaker, revision: segment.revision });
      item.replaceWith(updated);
      say($("status"), `Saved the line at ${clock(line.start_s)} (revision ${segment.revision}).`);
      updated.querySelector("button").focus();
    } catch (error) {
      status.textContent = `Not saved: ${error.detail || error.message}`;
      save.disabled = false;
    }
  });
}

function jumpToMoment() {
  const url = new URL(location.href);
  const wanted = decodeURIComponent(location.hash.slice(1));
  let target = wanted ? document.getElementById(wanted) : null;
  const t = Number(url.searchParams.get("t"));
  if (!target && url.searchParams.has("t") && Number.isFinite(t)) {
    const items = [...$("transcript").children];
    target = items.filter((item) => Number(item.dataset.start) <= t + 0.05).pop() || items[0] || null;
  }
  if (!target) return;
  for (const old of document.querySelectorAll(".transcript .target")) old.classList.remove("target");
  target.classList.add("target");
  target.scrollIntoView({ block: "center" });
  target.focus({ preventScroll: true });
}

async function loadTranscript() {
  showDownloads();
  let doc;
  try {
    doc = await api(transcriptUrl("json"));
  } catch (error) {
    problem(error, loadTranscript);
    return;
  }
  const items = doc.lines.map(lineItem);
  $("transcript").replaceChildren(...items);
  const language = $("lang").value ? languageName($("lang").value) : "as spoken";
  $("transcript-count").textContent = `${items.length} lines, ${language}.`;
  jumpToMoment();
}

async function loadSession() {
  try {
    const session = await api(base);
    $("session-title").textContent = session.title;
    document.title = `${session.title} — transcript — floorcast staff`;
    const parts = [session.room, when(session.created_at), sessionStatus(session), `code ${session.id}`].filter(Boolean);
    $("session-meta").textContent = parts.join(" · ");
  } catch (error) {
    problem(error, loadSession);
    return false;
  }
  return true;
}

const outputs = new OutputsPanel({ table: $("outputs"), status: $("outputs-status"), empty: $("outputs-empty"),
                                   canStop: true });
$("output-language").replaceChildren(...LANGUAGES.map((l) => new Option(l.english, l.code)));
$("output-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const body = { kind: $("output-kind").value, url: $("output-url").value.trim(), language: $("output-language").value };
  try {
    const made = await outputs.add(body);
    $("output-url").value = "";
    say($("outputs-status"), `Output added: ${made.url}`);
    $("output-secret").hidden = !made.secret;
    $("output-secret").textContent = made.secret
      ? `Webhook signing secret (shown this once; the receiver checks X-Floorcast-Signature with it): ${made.secret}` : "";
  } catch (error) {
    say($("outputs-status"), `Not added: ${error.detail || error.message}`, true);
  }
});

fillLanguageSelect($("lang"));
const wantedLang = new URL(location.href).searchParams.get("lang") || "";
$("lang").value = LANGUAGES.some((l) => l.code === wantedLang) ? wantedLang : "";
$("lang").addEventListener("change", () => {
  const url = new URL(location.href);
  if ($("lang").value) url.searchParams.set("lang", $("lang").value); else url.searchParams.delete("lang");
  url.searchParams.delete("t");
  url.hash = "";
  history.replaceState(null, "", url);
  loadTranscript();
});
window.addEventListener("hashchange", jumpToMoment);
bindDownloads($("downloads"), (error) => problem(error, () => {}));
if (await loadSession()) {
  outputs.show(sessionId);
  await loadTranscript();
}
