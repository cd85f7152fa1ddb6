// The access token, a session's join code, and every request to the service.
//
// Pages get the token from `?token=` in their URL, keep it in sessionStorage
// (per tab, survives reloads) and take it out of the address bar, so it is not
// shared along with a copied link. HTTP requests send it as a Bearer header;
// websockets (which cannot send headers from a browser) as `?token=`.
//
// A viewer of a private session may have the session's join code instead
// (`?code=`, kept and taken out of the address bar the same way); websockets
// carry it as `?code=`. A public session needs neither.

import { say } from "./format.js";

const STORAGE_KEY = "floorcast.token";
const CODE_KEY = "floorcast.code";
const JOIN_CODE = /^[A-HJKMNP-Z2-9]{8}$/; // the alphabet of join codes: no 0/O, 1/I/L

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

function readFromUrl(param, key) {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get(param);
  if (fromUrl) {
    sessionStorage.setItem(key, fromUrl);
    url.searchParams.delete(param);
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
  }
  return fromUrl || sessionStorage.getItem(key) || "";
}

let token = readFromUrl("token", STORAGE_KEY);
let code = readFromUrl("code", CODE_KEY);

export function hasToken() {
  return token !== "";
}

export function setToken(value) {
  token = value.trim();
  sessionStorage.setItem(STORAGE_KEY, token);
}

/** The join code this tab was given (for the session it was opened on), or "". */
export function joinCode() {
  return code;
}

export function setJoinCode(value) {
  code = value.replace(/[\s-]/g, "").toUpperCase();
  sessionStorage.setItem(CODE_KEY, code);
}

/** Typed into the prompt: a join code (8 characters of its alphabet, dashes and spaces ignored) or a token. */
export function looksLikeJoinCode(value) {
  return JOIN_CODE.test(value.replace(/[\s-]/g, "").toUpperCase());
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
  const headers = { Accept: accept };
  if (token) headers.Authorization = `Bearer ${token}`;
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

/** ws:// or wss:// URL of a websocket route on this host, with the token (or join code) and the given query. */
export function wsUrl(path, query = {}) {
  const url = new URL(path, location.href);
  url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  if (token) url.searchParams.set("token", token);
  if (code && !url.searchParams.has("code")) url.searchParams.set("code", code);
  return url.href;
}

/** Say in `status` what went wrong with a request; on 401, ask for a token in `auth`, then run `retry`. */
export function showRequestProblem(error, { status, auth, retry }) {
  if (error instanceof ApiError && error.status === 401) {
    say(status, "An access token is needed.", true);
    tokenPrompt(auth, retry);
    return;
  }
  say(status, error instanceof ApiError ? error.detail : `Cannot reach the server (${error.message})`, true);
}

/** A form asking for the access token (or, with `acceptsCode`, a join code); `onSaved` runs once entered. */
export function tokenPrompt(container, onSaved, { acceptsCode = false } = {}) {
  const form = document.createElement("form");
  form.className = "token-form";
  const label = document.createElement("label");
  label.htmlFor = "token-input";
  label.textContent = acceptsCode ? "Join code or access token" : "Access token";
  const input = document.createElement("input");
  input.id = "token-input";
  input.type = "password";
  input.autocomplete = "off";
  input.required = true;
  const button = document.createElement("button");
  button.type = "submit";
  button.textContent = acceptsCode ? "Join" : "Use token";
  form.append(label, input, button);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (acceptsCode && looksLikeJoinCode(input.value)) {
      setJoinCode(input.value);
      setToken(""); // a token this tab had is not good here (that is why it asked): the code is used instead
    } else {
      setToken(input.value);
    }
    form.remove();
    onSaved();
  });
  container.replaceChildren(form);
  input.focus();
}
