// The console warns when the session cannot recognise the language spoken: an English-only model
// (the session's `model_warning`) or, on the chosen channel, a stretch of speech that sounded like none
// of the session's languages (the channel's `language_warning`, polled with the recognition line).

const $ = (id) => document.getElementById(id);

/** Write the warnings of `session` (a SessionPublic) for `channelName`; none: the line is hidden. */
export function showLanguageWarnings(session, channelName) {
  const element = $("language-warning");
  const channel = session ? session.channels.find((c) => c.name === channelName) : null;
  const warnings = [session && session.model_warning, channel && channel.language_warning].filter(Boolean);
  element.textContent = warnings.join(" ");
  element.hidden = warnings.length === 0;
}
