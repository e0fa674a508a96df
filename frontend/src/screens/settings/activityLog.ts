// The audit log's entries in words, for the Activity section of Settings.

export interface ActivityEntry {
  id: number;
  created_at: string;
  activity: string;
  scope: string;
  item_id: string | null;
  detail: Record<string, unknown>;
  user: { id: number; email: string } | null;
  actor: { kind: string; id: number | null; name: string };
  is_system: boolean;
}

export interface ActivityPage {
  results: ActivityEntry[];
  next: string | null;
}

/** Who did it: the user's email, the key's label, or the command line / the server. */
export function actorText(entry: ActivityEntry): string {
  const { kind, name, id } = entry.actor;
  if (kind === "user") return name;
  if (kind === "key") return `API key “${name}” (#${String(id)})`;
  if (kind === "cli") return "Command line";
  if (kind === "system") return "Hedgerow";
  return name ? `Someone (as ${name})` : "Someone";
}

const WHAT: Record<string, string> = {
  signed_in: "Signed in",
  signed_out: "Signed out",
  sign_in_failed: "Failed to sign in",
  user_created: "Created a user",
  password_changed: "Changed a password",
  personal_key_created: "Created a personal API key",
  personal_key_revoked: "Revoked a personal API key",
  project_created: "Created the project",
  project_updated: "Changed the project's settings",
  action_created: "Created an action",
  action_updated: "Changed an action",
  action_deleted: "Deleted an action",
  person_erased: "Erased a person",
  erasure_finished: "Finished an erasure",
  retention_deleted: "Deleted events past the retention period",
  export_run: "Exported events",
  import_run: "Imported events",
};

/** What happened, in words (an unknown activity as it is named). */
export function activityText(entry: ActivityEntry): string {
  const what = WHAT[entry.activity] ?? entry.activity;
  return entry.item_id && entry.activity !== "project_created" && entry.activity !== "project_updated"
    ? `${what} (${entry.scope} ${entry.item_id})`
    : what;
}

function valueText(value: unknown): string {
  if (value === null || value === undefined || value === "") return "none";
  if (Array.isArray(value)) return value.length ? value.map((v) => String(v)).join(", ") : "none";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

interface Change {
  field: string;
  before: unknown;
  after: unknown;
}

/** The detail as one line of text: changed fields "name: A → B", else "key: value" pairs. */
export function detailText(entry: ActivityEntry): string {
  const { changes, ...rest } = entry.detail;
  const parts: string[] = [];
  if (Array.isArray(changes)) {
    for (const change of changes as Change[]) {
      parts.push(`${change.field}: ${valueText(change.before)} → ${valueText(change.after)}`);
    }
  }
  for (const [key, value] of Object.entries(rest)) {
    if (!Array.isArray(changes) || key !== "name") parts.push(`${key}: ${valueText(value)}`);
  }
  return parts.join("; ");
}
