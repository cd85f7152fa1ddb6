// The viewer's display settings form and projector mode, bound to reader_settings.

import {
  applySettings, contrastRatio, DEFAULTS, DYSLEXIA_FONTS, fontInstalled, loadSettings, saveSettings, validSettings,
} from "./reader_settings.js";

const $ = (id) => document.getElementById(id);

function offerLocalFonts(select) {
  for (const family of DYSLEXIA_FONTS) {
    if (!fontInstalled(family)) continue;
    const option = new Option(`Dyslexia-friendly (${family})`, `local:${family}`);
    select.append(option);
  }
}

function showContrast(settings) {
  const output = $("contrast-ratio");
  const ratio = contrastRatio(settings.fg, settings.bg);
  output.textContent = `Contrast ${ratio.toFixed(1)}:1${ratio < 4.5 ? " — too low for easy reading" : ""}`;
  output.classList.toggle("problem", ratio < 4.5);
}

/** Fill the form from the stored settings and keep the page, the form and storage in step. */
export function bindSettingsForm({ onLayoutChange = () => {} } = {}) {
  const form = $("settings-form");
  offerLocalFonts(form.elements.font);
  let settings = loadSettings();
  if (![...form.elements.font.options].some((o) => o.value === settings.font)) settings.font = DEFAULTS.font;

  const fill = () => {
    for (const name of ["size", "spacing", "lines", "theme", "fg", "bg", "font"]) {
      form.elements[name].value = String(settings[name]);
    }
    $("custom-colours").hidden = settings.theme !== "custom";
    showContrast(settings);
  };

  const update = (changes) => {
    settings = validSettings({ ...settings, ...changes });
    applySettings(settings);
    saveSettings(settings);
    $("custom-colours").hidden = settings.theme !== "custom";
    showContrast(settings);
    onLayoutChange();
  };

  form.addEventListener("change", (event) => {
    const { name, value } = event.target;
    if (!name) return;
    update({ [name]: ["size", "spacing", "lines"].includes(name) ? Number(value) : value });
  });
  form.addEventListener("input", (event) => {
    if (event.target.type === "color") update({ [event.target.name]: event.target.value });
  });
  form.addEventListener("submit", (event) => event.preventDefault());

  const projector = (on) => {
    update({ projector: on });
    (on ? $("exit-projector") : $("projector-on")).focus();
  };
  $("projector-on").addEventListener("click", () => projector(true));
  $("exit-projector").addEventListener("click", () => projector(false));
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && settings.projector) projector(false);
  });
  $("reset-settings").addEventListener("click", () => {
    settings = { ...DEFAULTS };
    fill();
    update({});
  });

  applySettings(settings);
  fill();
}
