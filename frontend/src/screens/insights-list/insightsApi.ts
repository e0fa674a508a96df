// The saved insights API (docs/api.md, insights): the list with its search, one insight's
// star and pins, delete.

import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api, projectPath } from "../../lib/api";
import type { Page } from "../../lib/types";

export interface UserRef {
  id: number;
  email: string;
}

/** A saved insight: `query` is an insight query node (TrendsQuery, FunnelsQuery, ...). */
export interface Insight {
  id: number;
  short_id: string;
  name: string;
  description: string;
  query: { kind: string; [field: string]: unknown };
  favorited: boolean;
  dashboards: number[];
  created_at: string;
  created_by: UserRef | null;
  last_modified_at: string;
  last_modified_by: UserRef | null;
}

export type InsightChange = Partial<Pick<Insight, "name" | "description" | "favorited" | "dashboards">>;

export function insightsKey(projectId: number): unknown[] {
  return ["insights", projectId];
}

/** The project's saved insights, newest change first, whose name or description holds `search`. */
export function useInsightList(projectId: number, search: string) {
  return useQuery({
    queryKey: [...insightsKey(projectId), "list", search],
    queryFn: ({ signal }) => {
      const params = new URLSearchParams({ limit: "100" });
      if (search) params.set("search", search);
      return api<Page<Insight>>(projectPath(projectId, `insights/?${params}`), { signal });
    },
    placeholderData: keepPreviousData,
  });
}

export function changeInsight(projectId: number, id: number, change: InsightChange): Promise<Insight> {
  return api<Insight>(projectPath(projectId, `insights/${id}/`), { method: "PATCH", body: change });
}

export function deleteInsight(projectId: number, id: number): Promise<void> {
  return api<void>(projectPath(projectId, `insights/${id}/`), { method: "DELETE" });
}

export function insightPath(insight: Pick<Insight, "short_id">): string {
  return `/insights/${encodeURIComponent(insight.short_id)}`;
}
