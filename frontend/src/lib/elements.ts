// `$elements_chain`: the clicked element first, then its ancestors, joined by ';'. Each is
// `tag.class1.class2:` followed by `key="value"` pairs (`text`, `href`, `nth-child`,
// `nth-of-type`, `attr_id`, `attr__<name>`), with `"` inside values escaped as `\"`.

export interface ChainElement {
  tag_name: string;
  classes: string[];
  text: string | null;
  href: string | null;
  attr_id: string | null;
  nth_child: number | null;
  nth_of_type: number | null;
  /** HTML attributes by their own name (without the `attr__` prefix), in chain order. */
  attributes: [string, string][];
}

/** Split on a separator that is outside double quotes (a `\` escapes the next character). */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charAt(i);
    if (char === "\\" && i + 1 < text.length) {
      current += char + text.charAt(i + 1);
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === separator && !quoted) {
      parts.push(current);
      current = "";
      continue;
    }
    current += char;
  }
  parts.push(current);
  return parts;
}

const PAIR = /([^\s="]+)="((?:[^"\\]|\\.)*)"/g;

function unescape(value: string): string {
  return value.replace(/\\(.)/g, "$1");
}

function number(value: string | undefined): number | null {
  if (value === undefined) return null;
  const parsed = Number.parseInt(value, 10);
  return Number.isFinite(parsed) ? parsed : null;
}

export function parseElement(text: string): ChainElement {
  const [head = "", ...rest] = splitOutsideQuotes(text, ":");
  const [tag = "", ...classes] = head.split(".");
  const pairs = new Map<string, string>();
  const attributes: [string, string][] = [];
  for (const match of rest.join(":").matchAll(PAIR)) {
    const key = match[1] ?? "";
    const value = unescape(match[2] ?? "");
    pairs.set(key, value);
    if (key.startsWith("attr__")) attributes.push([key.slice("attr__".length), value]);
  }
  return {
    tag_name: tag,
    classes: classes.filter(Boolean),
    text: pairs.get("text") ?? null,
    href: pairs.get("href") ?? null,
    attr_id: pairs.get("attr_id") ?? null,
    nth_child: number(pairs.get("nth-child")),
    nth_of_type: number(pairs.get("nth-of-type")),
    attributes,
  };
}

/** The elements of a chain, clicked element first (as stored). */
export function parseElementsChain(chain: string | null | undefined): ChainElement[] {
  if (!chain) return [];
  return splitOutsideQuotes(chain, ";")
    .filter((part) => part.trim() !== "")
    .map(parseElement);
}

export function attribute(element: ChainElement, name: string): string | null {
  const found = element.attributes.find(([key]) => key === name);
  return found ? found[1] : null;
}
