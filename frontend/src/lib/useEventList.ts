// The rows of an events list: older pages on demand (a timestamp cursor, no end), and in
// live mode a poll for the newest events merged on top.

import { useInfiniteQuery, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo } from "react";

import { runQuery } from "./api";
import { eventsQueryFromFilters, type EventFilters, type EventScope } from "./eventsFilters";
import type { QueryResponse } from "./types";
import { liveGap, mergeRows, nextCursor, type EventListRow } from "./eventRows";

export const LIVE_POLL_MS = 1000;

type Answer = QueryResponse<EventListRow>;

const EVERYONE: EventScope = {};

/** The events of the project, or of one person (`scope`), matching `filters`. */
export function useEventList(
  projectId: number,
  filters: EventFilters,
  live: boolean,
  scope: EventScope = EVERYONE,
) {
  const queryClient = useQueryClient();
  const key = ["events", projectId, filters, scope];
  const pages = useInfiniteQuery({
    queryKey: key,
    queryFn: ({ pageParam, signal }) =>
      runQuery<Answer>(
        projectId,
        eventsQueryFromFilters(filters, pageParam ? { before: pageParam } : {}, scope),
        signal,
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last, _all, previous) => nextCursor(last, previous),
    staleTime: Infinity,
  });
  const poll = useQuery({
    queryKey: [...key, "live"],
    queryFn: ({ signal }) =>
      runQuery<Answer>(projectId, eventsQueryFromFilters(filters, {}, scope), signal),
    enabled: live && pages.isSuccess,
    refetchInterval: live ? LIVE_POLL_MS : false,
    // The first page is the newest events already: the poll starts from it and asks again a
    // poll interval later, instead of sending the same query at once.
    initialData: () => pages.data?.pages[0],
    initialDataUpdatedAt: () => pages.dataUpdatedAt,
    staleTime: LIVE_POLL_MS,
    gcTime: 0,
  });

  const rows = useMemo(
    () => mergeRows([poll.data, ...(pages.data?.pages ?? [])]),
    [poll.data, pages.data],
  );
  const newestListed = pages.data?.pages[0]?.results[0]?.[0].timestamp;
  const gap = liveGap(poll.data, newestListed);
  useEffect(() => {
    if (gap) void queryClient.resetQueries({ queryKey: ["events", projectId, filters, scope], exact: true });
  }, [gap, queryClient, projectId, filters, scope]);

  const { fetchNextPage } = pages;
  const loadOlder = useCallback(() => void fetchNextPage(), [fetchNextPage]);

  return {
    rows,
    error: pages.error ?? poll.error,
    isLoading: pages.isPending,
    hasOlder: pages.hasNextPage,
    isLoadingOlder: pages.isFetchingNextPage,
    loadOlder,
  };
}
