// How a reader likes captions shown, kept per browser (localStorage) and applied as CSS custom properties.

const STORAGE_KEY = "floorcast.reader";

export const THEMES = ["system", "light", "dark", "contrast", "custom"];
export const FONTS = {
  system: 'system-ui, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif',
  serif: 'Georgia, "Noto Serif", "DejaVu Serif", serif',
  readable: '"Atkinson Hyperlegible", Verdana, "DejaVu Sans", sans-serif',
};
// Dyslexia-friendly faces, offered only when one is installed on this device (never fetched).
export const DYSLEXIA_FONTS = ["OpenDyslexic", "OpenDyslexic3", "Lexend", "Lexie Readable"];

export const DEFAULTS = Object.freeze({
  size: 100, // percent of the caption base size
  spacing: 1.5, // line-height
  lines: 30, // at most this many caption lines; the viewer fits as many as the screen leaves room for
  theme: "system",
  fg: "#1a1a1a",
  bg: "#ffffff",
  font: "system",
  projector: false,
});

const LIMITS = { size: [50, 400], spacing: [1, 3], lines: [1, 30] };
const COLOUR = /^#[0-9a-f]{6}$/i;

/** Settings as stored, with anything missing, malformed or out of range replaced by its default. */
export function validSettings(raw) {
  const out = { ...DEFAULTS };
  if (!raw || typeof raw !== "object") return out;
  for (const [key, [low, high]] of Object.entries(LIMITS)) {
    const value = Number(raw[key]);
    if (Number.isFinite(value) && value >= low && value <= high) out[key] = value;
  }
  if (THEMES.includes(raw.theme)) out.theme = raw.theme;
  if (COLOUR.test(raw.fg || "")) out.fg = raw.fg;
  if (COLOUR.test(raw.bg || "")) out.bg = raw.bg;
  if (typeof raw.font === "string" && (raw.font in FONTS || raw.font.startsWith("local:"))) out.font = raw.font;
  out.projector = raw.projector === true;
  return out;
}

export function loadSettings() {
  try {
    return validSettings(JSON.parse(localStorage.getItem(STORAGE_KEY) || "null"));
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveSettings(settings) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(settings));
  } catch { /* storage full or disabled: the settings still apply to this page */ }
}

function fontStack(font) {
  if (font.startsWith("local:")) return `"${font.slice(6).replace(/"/g, "")}", ${FONTS.system}`;
  return FONTS[font] || FONTS.system;
}

/** Apply settings to the document: custom properties on <html>, theme and projector classes. */
export function applySettings(settings, root = document.documentElement) {
  root.style.setProperty("--caption-scale", String(settings.size / 100));
  root.style.setProperty("--caption-line-height", String(settings.spacing));
  root.style.setProperty("--caption-lines", String(settings.lines));
  root.style.setProperty("--caption-font", fontStack(settings.font));
  root.dataset.theme = settings.theme;
  if (settings.theme === "custom") {
    root.style.setProperty("--custom-fg", settings.fg);
    root.style.setProperty("--custom-bg", settings.bg);
  }
  root.classList.toggle("projector", settings.projector);
}

// WCAG relative luminance and contrast ratio, to warn about custom colours that are hard to read.
function luminance(hex) {
  const channels = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrastRatio(fg, bg) {
  const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}

/** Whether a font family is installed on this device: text in it measures differently from the fallbacks. */
export function fontInstalled(family) {
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d");
  if (!context) return false;
  const sample = "mmmmmmmmmmlli WWW 0123456789 bdpq";
  return ["monospace", "serif", "sans-serif"].some((fallback) => {
    context.font = `32px ${fallback}`;
    const reference = context.measureText(sample).width;
    context.font = `32px "${family}", ${fallback}`;
    return context.measureText(sample).width !== reference;
  });
}
