// Running the query of the URL (`?q=`): each run is its own query key, so a new run (or
// leaving the screen) aborts the request of the one before; Cancel aborts the current one.

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";

import { ApiError, runQuery } from "../../lib/api";

export interface SqlResult {
  columns: string[];
  types?: [string, string][];
  results: unknown[][];
  hasMore: boolean;
  limit: number;
  offset: number;
}

export interface SqlRun {
  result: SqlResult | undefined;
  error: ApiError | Error | null;
  running: boolean;
  cancelled: boolean;
  rerun: () => void;
  cancel: () => void;
}

export function useSqlRun(projectId: number, text: string): SqlRun {
  const queryClient = useQueryClient();
  const [runNumber, setRunNumber] = useState(0);
  const [cancelledKey, setCancelledKey] = useState<string | null>(null);
  const queryKey = ["sql-run", projectId, text, runNumber];
  const keyText = JSON.stringify(queryKey);
  const run = useQuery({
    queryKey,
    queryFn: ({ signal }) =>
      runQuery<SqlResult>(projectId, { kind: "HogQLQuery", query: text }, signal),
    enabled: text.trim() !== "",
    staleTime: Infinity,
    gcTime: 0,
    retry: false,
    refetchOnWindowFocus: false,
  });
  return {
    result: run.data,
    error: run.error,
    running: run.fetchStatus === "fetching",
    cancelled: cancelledKey === keyText && run.fetchStatus !== "fetching" && !run.data,
    rerun: () => setRunNumber((n) => n + 1),
    cancel: () => {
      setCancelledKey(keyText);
      void queryClient.cancelQueries({ queryKey });
    },
  };
}
