// Saved insights and dashboards (docs/api.md: insights/, dashboards/), and running an
// insight's query with the result cache's refresh mode.

import { useQuery } from "@tanstack/react-query";

import { api, projectPath } from "../../lib/api";
import type { Page } from "../../lib/types";
import type { InsightQuery } from "../../insights/types";

export interface SavedInsight {
  id: number;
  short_id: string;
  name: string;
  description: string;
  query: InsightQuery;
  favorited: boolean;
  dashboards: number[];
  last_modified_at: string;
}

export interface DashboardSummary {
  id: number;
  name: string;
}

export interface InsightDraft {
  name: string;
  description: string;
  query: InsightQuery;
  dashboards?: number[];
}

export function savedInsightKey(projectId: number, shortId: string | undefined): unknown[] {
  return ["insight", projectId, shortId];
}

export function useSavedInsight(projectId: number, shortId: string | undefined) {
  return useQuery({
    queryKey: savedInsightKey(projectId, shortId),
    queryFn: async ({ signal }) => {
      const page = await api<Page<SavedInsight>>(
        projectPath(projectId, `insights/?short_id=${encodeURIComponent(shortId ?? "")}`),
        { signal },
      );
      return page.results[0] ?? null;
    },
    enabled: shortId !== undefined,
    staleTime: Infinity,
  });
}

export function useDashboards(projectId: number, enabled: boolean) {
  return useQuery({
    queryKey: ["dashboards", projectId],
    queryFn: ({ signal }) => api<Page<DashboardSummary>>(projectPath(projectId, "dashboards/"), { signal }),
    enabled,
  });
}

export function createInsight(projectId: number, draft: InsightDraft): Promise<SavedInsight> {
  return api<SavedInsight>(projectPath(projectId, "insights/"), { method: "POST", body: draft });
}

export function updateInsight(projectId: number, id: number, changes: Partial<InsightDraft>): Promise<SavedInsight> {
  return api<SavedInsight>(projectPath(projectId, `insights/${id}/`), { method: "PATCH", body: changes });
}

export function deleteInsight(projectId: number, id: number): Promise<void> {
  return api<void>(projectPath(projectId, `insights/${id}/`), { method: "DELETE" });
}

export type RefreshMode = "blocking" | "force_blocking";

/** Run an insight's query; `force_blocking` computes it again instead of using the cache. */
export function runInsight<T>(projectId: number, query: InsightQuery, refresh: RefreshMode, signal: AbortSignal): Promise<T> {
  return api<T>(projectPath(projectId, "query/"), { method: "POST", body: { query, refresh }, signal });
}
