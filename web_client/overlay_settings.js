// The overlay's URL parameters, read once at load. A parameter that is missing or not understood means
// its default: a typo in an OBS browser source must never leave the picture without captions.
//
//   lang=fr             the language shown (default: as spoken); the server checks it
//   source=auto|machine|interpretation   where a translation comes from (default auto)
//   position=bottom|top the caption region's edge of the frame (default bottom)
//   size=48px           font size in CSS pixels, 10–200
//   size=large          a named scale: small 75 %, medium 100 %, large 125 %, x-large 150 %
//   size=150            a scale in percent, 50–300 (what size= meant at first; such links keep working)
//                       default: 2.6 % of the frame's width (50 px on a 1920 px wide source)
//   opacity=0.5         the opacity of the box behind the text, 0–1 (default 0.82)
//   lines=2             rendered lines shown, 1–4 (default 2)

const BASE_FONT = "2.6vw"; // of the frame's width: the same picture at any source resolution
const scaled = (factor) => `calc(${BASE_FONT} * ${factor})`;

export const DEFAULTS = Object.freeze({
  lang: "", source: "", position: "bottom", fontSize: BASE_FONT, opacity: 0.82, lines: 2,
});

const SOURCES = new Set(["auto", "machine", "interpretation"]);
const POSITIONS = new Set(["top", "bottom"]);
const NAMED_SCALES = new Map([["small", 0.75], ["medium", 1], ["large", 1.25], ["x-large", 1.5]]);
const NUMBER = /^\d+(\.\d+)?$|^\.\d+$/;
const PX = { min: 10, max: 200 };
const PERCENT = { min: 50, max: 300 };

function number(text, { min, max }) {
  if (!NUMBER.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}

function fontSize(text) {
  const wanted = text.trim().toLowerCase();
  if (NAMED_SCALES.has(wanted)) return scaled(NAMED_SCALES.get(wanted));
  const px = wanted.endsWith("px") ? number(wanted.slice(0, -2), PX) : null;
  if (px !== null) return `${px}px`;
  const percent = number(wanted, PERCENT);
  return percent !== null ? scaled(percent / 100) : DEFAULTS.fontSize;
}

/** @param {URLSearchParams} params  @returns {typeof DEFAULTS} */
export function overlaySettings(params) {
  const get = (name) => (params.get(name) ?? "").trim();
  const source = get("source").toLowerCase();
  const position = get("position").toLowerCase();
  const opacity = number(get("opacity"), { min: 0, max: 1 });
  const lines = number(get("lines"), { min: 1, max: 4 });
  return {
    lang: get("lang"),
    source: SOURCES.has(source) ? source : DEFAULTS.source,
    position: POSITIONS.has(position) ? position : DEFAULTS.position,
    fontSize: fontSize(get("size")),
    opacity: opacity ?? DEFAULTS.opacity,
    lines: lines !== null && Number.isInteger(lines) ? lines : DEFAULTS.lines,
  };
}

/** Put the settings on the page: CSS custom properties and the position on <html>. */
export function applyOverlaySettings(root, settings) {
  root.style.setProperty("--overlay-font-size", settings.fontSize);
  root.style.setProperty("--overlay-lines", String(settings.lines));
  root.style.setProperty("--overlay-box-alpha", String(settings.opacity));
  root.dataset.position = settings.position;
}
