// Runs the insight's query whenever it changes: the query is the cache key, so a change
// starts a new request and the stale one is aborted (its signal). The last chart stays while
// the next one loads. Refresh computes the same query again (`force_blocking`).

import { keepPreviousData, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";

import type { CachedAnswer, InsightQuery } from "../../insights/types";
import { runInsight, type RefreshMode } from "./insightsApi";

export function insightResultKey(projectId: number, query: InsightQuery): unknown[] {
  return ["insight-result", projectId, query];
}

/** The answer with the query it answers (the last chart stays drawn from its own query). */
export interface InsightResult {
  query: InsightQuery;
  response: CachedAnswer;
}

async function run(projectId: number, query: InsightQuery, refresh: RefreshMode, signal: AbortSignal): Promise<InsightResult> {
  return { query, response: await runInsight<CachedAnswer>(projectId, query, refresh, signal) };
}

export function useInsightResult(projectId: number, query: InsightQuery, enabled: boolean) {
  const client = useQueryClient();
  const key = insightResultKey(projectId, query);
  const result = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => run(projectId, query, "blocking", signal),
    placeholderData: keepPreviousData,
    enabled,
    staleTime: 60_000,
    retry: false,
  });
  const refresh = useCallback(() => {
    void client.fetchQuery({
      queryKey: key,
      queryFn: ({ signal }) => run(projectId, query, "force_blocking", signal),
      staleTime: 0,
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the key is the query
  }, [client, projectId, query]);
  return { result, refresh };
}
