// Minimal live viewer: finished segments go to the role="log" region; the open
// segment shows its stable prefix in full contrast and its tail as tentative.
const params = new URLSearchParams(location.search);
const token = params.get("token") || localStorage.getItem("floorcast.token") || "";
if (params.get("token")) localStorage.setItem("floorcast.token", token);
const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
const select = document.getElementById("session");
const statusEl = document.getElementById("status");
const log = document.getElementById("captions");
const partialEl = document.getElementById("partial");
const partials = new Map();
let socket = null;

function renderPartials() {
  partialEl.replaceChildren();
  for (const ev of partials.values()) {
    const line = document.createElement("span");
    line.lang = ev.lang;
    if (ev.lang === "ar") line.dir = "rtl";
    const stable = document.createElement("span");
    stable.textContent = ev.text.slice(0, ev.stable);
    const tail = document.createElement("span");
    tail.className = "tentative";
    tail.textContent = ev.text.slice(ev.stable);
    line.append(stable, tail, " ");
    partialEl.append(line);
  }
}

function onEvent(ev) {
  if (ev.type === "partial") {
    partials.set(ev.segment_id, ev);
  } else if (ev.type === "final") {
    partials.delete(ev.segment_id);
    if (ev.text) {
      const p = document.createElement("p");
      p.lang = ev.lang;
      if (ev.lang === "ar") p.dir = "rtl";
      const ch = document.createElement("span");
      ch.className = "channel";
      ch.textContent = ev.channel;
      p.append(ch, ev.text);
      log.append(p);
      p.scrollIntoView({ block: "end" });
    }
  } else if (ev.type === "session_ended") {
    statusEl.textContent = "Session ended";
  }
  renderPartials();
}

function connect(id) {
  if (socket) socket.close();
  log.replaceChildren();
  partials.clear();
  const proto = location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${proto}://${location.host}/v1/sessions/${id}/captions?token=${encodeURIComponent(token)}`);
  socket.onopen = () => { statusEl.textContent = `Connected to session ${id}`; };
  socket.onmessage = (m) => onEvent(JSON.parse(m.data));
  socket.onclose = (e) => { statusEl.textContent = `Disconnected (${e.code}${e.reason ? ": " + e.reason : ""})`; };
}

async function loadSessions(selectId) {
  const r = await fetch("/v1/sessions", { headers });
  if (!r.ok) { statusEl.textContent = `Cannot list sessions: HTTP ${r.status} (add ?token=…)`; return; }
  const sessions = await r.json();
  select.replaceChildren(...sessions.map((s) => new Option(`${s.title} (${s.id}, ${s.status})`, s.id)));
  const id = selectId || params.get("session") || (sessions[0] && sessions[0].id);
  if (id) { select.value = id; connect(id); }
}

select.addEventListener("change", () => connect(select.value));
document.getElementById("new").addEventListener("click", async () => {
  const r = await fetch("/v1/sessions", { method: "POST", headers, body: JSON.stringify({ title: "Meeting" }) });
  if (r.ok) loadSessions((await r.json()).id);
});
loadSessions();
