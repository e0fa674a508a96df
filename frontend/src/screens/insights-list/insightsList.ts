// What the saved insights list shows of an insight: its kind in words, who changed it last.

import type { Insight } from "./insightsApi";

const KIND_LABELS: Record<string, string> = {
  TrendsQuery: "Trends",
  FunnelsQuery: "Funnel",
  RetentionQuery: "Retention",
  LifecycleQuery: "Lifecycle",
  StickinessQuery: "Stickiness",
  PathsQuery: "Paths",
  HogQLQuery: "SQL",
};

/** "Trends", "Funnel", "SQL"...; a kind this app does not know reads as its own name. */
export function kindLabel(query: { kind: string; source?: unknown }): string {
  const source = query.source as { kind?: unknown } | undefined;
  const kind = typeof source?.kind === "string" ? source.kind : query.kind;
  return KIND_LABELS[kind] ?? kind.replace(/Query$/, "");
}

/** The name shown for an insight: saved without one, it still needs words to click. */
export function insightName(insight: Pick<Insight, "name">): string {
  return insight.name.trim() || "Unnamed insight";
}

/** Who changed the insight last, by email ("someone removed" when the user is gone). */
export function modifiedBy(insight: Pick<Insight, "last_modified_by" | "created_by">): string | null {
  return (insight.last_modified_by ?? insight.created_by)?.email ?? null;
}

/** What an empty list says: nothing saved yet, or nothing matches the search. */
export function emptyInsightsText(search: string): string {
  return search ? `No saved insight's name or description contains “${search}”.` : "";
}

/** The line under the list: how many are shown, and of how many when a page holds fewer. */
export function insightsCountText(shown: number, count: number): string {
  const noun = count === 1 ? "insight" : "insights";
  return shown < count ? `${shown} of ${count} ${noun} (the newest changes)` : `${count} ${noun}`;
}
