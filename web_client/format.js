// Small formatting helpers shared by the pages.

/** Seconds of session time as "m:ss" or "h:mm:ss". */
export function clock(seconds) {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = String(whole % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** A Unix time (seconds) or ISO string as the reader's local date and time. */
export function when(value) {
  if (value === null || value === undefined || value === "") return "";
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? "" : date.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
}

/** A session id as it appears in a path. Session ids are short URL-safe codes. */
export function sessionFromPath(prefix) {
  const rest = location.pathname.startsWith(prefix) ? location.pathname.slice(prefix.length) : "";
  return decodeURIComponent(rest.split("/")[0] || "");
}

/** Set a status element's text and whether it reports a problem. */
export function say(element, text, problem = false) {
  element.textContent = text;
  element.classList.toggle("problem", problem);
}

/** A session's state as the pages show it: "Live", "Ended 5 Dec 2026, 16:10", "Interrupted". */
export function sessionStatus(session) {
  if (session.status === "ended") return session.ended_at ? `Ended ${when(session.ended_at)}` : "Ended";
  return session.status === "live" ? "Live" : "Interrupted";
}
