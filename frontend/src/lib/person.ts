// Which name a person gets in lists: an email, else a name, else the distinct id.

import type { PropertyValue } from "./types";

const MAX_LENGTH = 40;

function usable(value: PropertyValue | undefined): string | null {
  if (value === null || value === undefined || value === "" || value === false) return null;
  return typeof value === "string" ? value.trim() || null : JSON.stringify(value);
}

/** Cut in the middle, so both ends of long ids stay recognizable. */
export function midEllipsis(text: string, max = MAX_LENGTH): string {
  if (text.length <= max) return text;
  const half = Math.floor((max - 1) / 2);
  return text.slice(0, half) + "…" + text.slice(text.length - (max - 1 - half));
}

export function personDisplayName(
  email: PropertyValue | undefined,
  name: PropertyValue | undefined,
  distinctId: string,
): string {
  return midEllipsis(usable(email) ?? usable(name) ?? distinctId);
}
