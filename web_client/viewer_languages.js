// The viewer's language menu says, before a language is chosen, which ones this session cannot
// translate into: a language not spoken in the session that is not among its translation languages, or
// that no installed engine reaches from any language that may be spoken (the session's
// `missing_directions`, the same list the translation status reports).

import { direction, LANGUAGES } from "./languages.js";

/** Languages of the menu that would show the original text, for this session (a SessionPublic). */
export function untranslatable(session) {
  const spoken = session.allowed_languages || [];
  const targets = new Set(session.translation_languages || []);
  const missing = new Set(session.missing_directions || []);
  return new Set(LANGUAGES.map((l) => l.code).filter((code) => {
    if (spoken.includes(code)) return false; // spoken in the session: its own speech comes as spoken
    const sources = spoken;
    if (!targets.has(code)) return true;
    return sources.every((src) => missing.has(`${src}-${code}`));
  }));
}

/** Mark the menu's options for `session` ("Русский — no translation, shown as spoken"); null: unmark. */
export function markUntranslatable(select, session) {
  const none = session ? untranslatable(session) : new Set();
  for (const option of select.options) {
    const language = LANGUAGES.find((l) => l.code === option.value);
    if (!language) continue;
    const marked = none.has(language.code);
    option.textContent = marked ? `${language.name} (${language.english}) — no translation, shown as spoken`
      : language.name;
    option.dataset.untranslated = String(marked);
    if (marked) { // the label mixes two languages: let the page's language carry the English part
      option.removeAttribute("lang");
      option.removeAttribute("dir");
    } else {
      option.lang = language.code;
      option.dir = direction(language.code);
    }
  }
}
