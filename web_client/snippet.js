// Search snippets: the API sends HTML-escaped text with <mark>…</mark> around the matched words.
// They are rebuilt as DOM nodes (text nodes and <mark> elements), never parsed as HTML, so no
// markup in a caption can reach the page.

const ENTITY = /&(#x[0-9a-f]+|#[0-9]+|amp|lt|gt|quot|apos);/gi;
const NAMED = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

export function decodeEntities(text) {
  return text.replace(ENTITY, (whole, body) => {
    const lower = body.toLowerCase();
    if (lower in NAMED) return NAMED[lower];
    const code = lower.startsWith("#x") ? parseInt(lower.slice(2), 16) : parseInt(lower.slice(1), 10);
    return Number.isInteger(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
  });
}

/** A DocumentFragment of the snippet: plain text with <mark> elements for the hits. */
export function markedFragment(snippet) {
  const fragment = document.createDocumentFragment();
  let marking = false;
  for (const part of snippet.split(/(<mark>|<\/mark>)/i)) {
    const tag = part.toLowerCase();
    if (tag === "<mark>") marking = true;
    else if (tag === "</mark>") marking = false;
    else if (part) {
      const text = decodeEntities(part);
      if (marking) {
        const mark = document.createElement("mark");
        mark.textContent = text;
        fragment.append(mark);
      } else {
        fragment.append(document.createTextNode(text));
      }
    }
  }
  return fragment;
}
