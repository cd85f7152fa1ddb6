// The access token and every request to the service.
//
// Pages get the token from `?token=` in their URL, keep it in sessionStorage
// (per tab, survives reloads) and take it out of the address bar, so it is not
// shared along with a copied link. HTTP requests send it as a Bearer header;
// websockets (which cannot send headers from a browser) as `?token=`.

const STORAGE_KEY = "floorcast.token";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

function readToken() {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get("token");
  if (fromUrl) {
    sessionStorage.setItem(STORAGE_KEY, fromUrl);
    url.searchParams.delete("token");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  }
  return fromUrl || sessionStorage.getItem(STORAGE_KEY) || "";
}

let token = readToken();

export function hasToken() {
  return token !== "";
}

export function setToken(value) {
  token = value.trim();
  sessionStorage.setItem(STORAGE_KEY, token);
}

/** The message of an error body: FastAPI's {"detail": "..."} or a list of validation errors. */
function detailOf(body, status) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length) return detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
  return `HTTP ${status}`;
}

/** fetch() with the token; JSON in and out. Throws ApiError for an HTTP error, TypeError when offline. */
export async function api(path, { method = "GET", body, accept = "application/json" } = {}) {
  const headers = { Authorization: `Bearer ${token}`, Accept: accept };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!response.ok) {
    let parsed = null;
    try { parsed = await response.json(); } catch { /* not JSON */ }
    throw new ApiError(response.status, detailOf(parsed, response.status));
  }
  if (response.status === 204) return null;
  return accept === "application/json" ? response.json() : response;
}

/** ws:// or wss:// URL of a websocket route on this host, with the token and the given query. */
export function wsUrl(path, query = {}) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  url.searchParams.set("token", token);
  return url.href;
}

/** A form asking for the access token; `onSaved` runs once it was entered. */
export function tokenPrompt(container, onSaved) {
  const form = document.createElement("form");
  form.className = "token-form";
  const label = document.createElement("label");
  label.htmlFor = "token-input";
  label.textContent = "Access token";
  const input = document.createElement("input");
  input.id = "token-input";
  input.type = "password";
  input.autocomplete = "off";
  input.required = true;
  const button = document.createElement("button");
  button.type = "submit";
  button.textContent = "Use token";
  form.append(label, input, button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    setToken(input.value);
    form.remove();
    onSaved();
  });
  container.replaceChildren(form);
  input.focus();
}
