// The time zones a project can be given: IANA names, as the browser knows them.

/** Every IANA zone name of `known`, with UTC first and `current` kept even when the
 * browser does not list it (a name the server accepted earlier). */
export function timeZoneChoices(known: readonly string[], current: string): string[] {
  const rest = known.filter((zone) => zone !== "UTC");
  if (current !== "UTC" && !rest.includes(current)) rest.push(current);
  return ["UTC", ...rest.sort()];
}

export function browserTimeZones(): string[] {
  return typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
}

export interface ProjectChanges {
  name?: string;
  timezone?: string;
}

/** What a PATCH must send: the fields that changed (the name trimmed), or an error to show
 * beside the name field. */
export function projectChanges(
  saved: { name: string; timezone: string },
  form: { name: string; timezone: string },
): { changes: ProjectChanges } | { nameError: string } {
  const name = form.name.trim();
  if (!name) return { nameError: "A project needs a name." };
  const changes: ProjectChanges = {};
  if (name !== saved.name) changes.name = name;
  if (form.timezone !== saved.timezone) changes.timezone = form.timezone;
  return { changes };
}
