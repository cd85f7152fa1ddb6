// Transcript downloads: the API needs the Bearer header, which a plain link cannot send, so a
// click fetches the file and saves it under the name the server gives (Content-Disposition).

import { api } from "./auth.js";

function fileName(response, fallback) {
  const disposition = response.headers.get("content-disposition") || "";
  const match = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(disposition);
  return match ? decodeURIComponent(match[1]) : fallback;
}

export async function download(url, fallbackName) {
  const response = await api(url, { accept: "*/*" });
  const blob = await response.blob();
  const href = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = href;
  link.download = fileName(response, fallbackName);
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 60000);
}

/** Make every link with data-download fetch with the token instead of navigating. */
export function bindDownloads(container, onError) {
  container.addEventListener("click", async (event) => {
    const link = event.target.closest("a[data-download]");
    if (!link) return;
    event.preventDefault();
    try {
      await download(link.getAttribute("href"), link.dataset.download);
    } catch (error) {
      onError(error);
    }
  });
}
