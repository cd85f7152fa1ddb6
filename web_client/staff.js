// Staff: every session in the record, and search across them with the hits highlighted.

import { api, ApiError, showRequestProblem } from "./auth.js";
import { clock, say, sessionStatus, when } from "./format.js";
import { fillLanguageSelect, languageName, markLanguage } from "./languages.js";
import { markedFragment } from "./snippet.js";

const $ = (id) => document.getElementById(id);
const PAGE = 50;
let sessionOffset = 0;
let nextCursor = null;
let hitCount = 0;

function problem(error, retry) {
  showRequestProblem(error, { status: $("status"), auth: $("auth"), retry });
}

function cell(content) {
  const td = document.createElement("td");
  td.append(content);
  return td;
}

function link(href, text) {
  const a = document.createElement("a");
  a.href = href;
  a.textContent = text;
  return a;
}

async function loadSessions(more = false) {
  sessionOffset = more ? sessionOffset + PAGE : 0;
  let sessions;
  try {
    sessions = await api(`/v1/sessions?limit=${PAGE}&offset=${sessionOffset}`);
  } catch (error) {
    problem(error, () => loadSessions());
    return;
  }
  const rows = sessions.map((s) => {
    const row = document.createElement("tr");
    const title = cell(link(`/staff/sessions/${encodeURIComponent(s.id)}`, s.title));
    const live = s.status === "live" ? link(`/s/${encodeURIComponent(s.id)}`, `Watch (code ${s.id})`)
      : link(`/s/${encodeURIComponent(s.id)}`, `Read (code ${s.id})`);
    row.append(title, cell(s.room), cell(when(s.created_at)), cell(sessionStatus(s)), cell(live));
    return row;
  });
  if (more) $("sessions").append(...rows); else $("sessions").replaceChildren(...rows);
  if (!more && !rows.length) {
    const row = document.createElement("tr");
    const empty = cell("No sessions yet.");
    empty.colSpan = 5;
    row.append(empty);
    $("sessions").append(row);
  }
  $("more-sessions").hidden = sessions.length < PAGE;
}

function hitItem(hit) {
  const item = document.createElement("li");
  const heading = link(hit.url, `${hit.session_title} at ${clock(hit.start)}`);
  const meta = document.createElement("div");
  meta.className = "meta";
  const started = hit.session_started_at ? `${when(hit.session_started_at)} · ` : "";
  meta.textContent = `${started}${languageName(hit.lang)} · ${hit.channel}${hit.speaker ? ` · ${hit.speaker}` : ""}`;
  const text = document.createElement("p");
  markLanguage(text, hit.lang);
  text.append(markedFragment(hit.snippet));
  item.append(heading, meta, text);
  return item;
}

async function search(more = false) {
  const q = $("q").value.trim();
  if (!q) return;
  const params = new URLSearchParams({ q, limit: "20" });
  if ($("search-lang").value) params.set("lang", $("search-lang").value);
  if (more && nextCursor) params.set("cursor", nextCursor);
  let page;
  try {
    page = await api(`/v1/search?${params}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      say($("search-count"), error.detail, true);
      return;
    }
    problem(error, () => search(more));
    return;
  }
  const items = page.hits.map(hitItem);
  if (more) $("hits").append(...items); else $("hits").replaceChildren(...items);
  hitCount = (more ? hitCount : 0) + items.length;
  nextCursor = page.next_cursor;
  $("more-hits").hidden = !nextCursor;
  say($("search-count"), hitCount ? `${hitCount} ${hitCount === 1 ? "hit" : "hits"}${nextCursor ? " so far" : ""}`
                                  : `Nothing found for “${q}”.`);
  const url = new URL(location.href);
  url.searchParams.set("q", q);
  history.replaceState(null, "", url);
}

$("search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  search();
});
$("more-hits").addEventListener("click", () => search(true));
$("more-sessions").addEventListener("click", () => loadSessions(true));

fillLanguageSelect($("search-lang"), { spokenLabel: "Any language" });
const initial = new URL(location.href).searchParams.get("q");
loadSessions();
if (initial) {
  $("q").value = initial;
  search();
}
