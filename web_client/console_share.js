// The console's "Participants" panel: the link that opens the session for the people it is meant for
// (with the join code when the session is private), the join code, and the link as a QR code to put on
// a projector. The QR code is drawn by the server (GET /v1/sessions/{id}/qr.svg, captioners only) and
// shown as a data: URL, which the pages' Content-Security-Policy allows for images.

import { api } from "./auth.js";
import { say } from "./format.js";

const $ = (id) => document.getElementById(id);

/** Fill the panel for `session` (a SessionPublic as the captioner sees it), or empty it. */
export async function showSharing(session) {
  const link = $("share-link");
  const qr = $("share-qr");
  qr.hidden = true;
  qr.removeAttribute("src");
  say($("share-status"), "");
  if (!session || !session.participant_link) {
    link.textContent = "—";
    link.removeAttribute("href");
    $("share-code").textContent = "—";
    $("copy-link").disabled = $("qr-fullscreen").disabled = true;
    return;
  }
  const url = new URL(session.participant_link, location.href).href;
  link.href = url;
  link.textContent = url;
  $("share-code").textContent = session.public ? "none needed (public session)" : session.join_code;
  $("copy-link").disabled = $("qr-fullscreen").disabled = false;
  try {
    const response = await api(`/v1/sessions/${encodeURIComponent(session.id)}/qr.svg`, { accept: "image/svg+xml" });
    qr.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(await response.text())}`;
    qr.alt = `QR code that opens ${url}`;
    qr.hidden = false;
  } catch (error) {
    say($("share-status"), `No QR code: ${error.detail || error.message}`, true);
  }
}

$("copy-link").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText($("share-link").href);
    say($("share-status"), "Link copied.");
  } catch {
    say($("share-status"), "Copying is not allowed here: select the link and copy it.", true);
  }
});

$("qr-fullscreen").addEventListener("click", async () => {
  const figure = $("share-figure");
  try {
    await figure.requestFullscreen();
  } catch {
    figure.classList.add("projected"); // no fullscreen here: fill the window instead (Escape leaves)
  }
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") $("share-figure").classList.remove("projected");
});
