// The six UN languages, each named in its own script, and how their text runs.

export const LANGUAGES = [
  { code: "ar", name: "العربية", english: "Arabic" },
  { code: "zh", name: "中文", english: "Chinese" },
  { code: "en", name: "English", english: "English" },
  { code: "fr", name: "Français", english: "French" },
  { code: "ru", name: "Русский", english: "Russian" },
  { code: "es", name: "Español", english: "Spanish" },
];

const RTL = new Set(["ar", "fa", "he", "ur", "ps", "yi"]);

export function direction(code) {
  return RTL.has((code || "").split("-")[0]) ? "rtl" : "ltr";
}

/** The language's own name ("Français"), or its code for one outside the six. */
export function languageName(code) {
  const known = LANGUAGES.find((l) => l.code === code);
  return known ? known.name : code;
}

/** Put `lang` and `dir` on an element showing text in `code`. */
export function markLanguage(element, code) {
  if (!code) return;
  element.lang = code;
  element.dir = direction(code);
}

/** Fill a <select> with "as spoken" (value "") and the six languages, each option marked with its language. */
export function fillLanguageSelect(select, { spokenLabel = "As spoken" } = {}) {
  const spoken = new Option(spokenLabel, "");
  select.replaceChildren(spoken);
  for (const language of LANGUAGES) {
    const option = new Option(language.name, language.code);
    option.lang = language.code;
    option.dir = direction(language.code);
    select.append(option);
  }
}

/** The language a caption's text is written in: a final shown untranslated is in its source language. */
export function textLanguage(event) {
  return event.translated === false && event.source_lang ? event.source_lang : event.lang;
}
