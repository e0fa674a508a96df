// Every query of /web goes through one queue: at most WEB_CONCURRENCY in flight (the server
// runs 4 per project and answers more with 429; one place stays free for the rest of the
// app), retried on 429. The previous answer stays on screen while a new one loads.

import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { api, ApiError, projectPath } from "../../lib/api";
import { createLimiter } from "../../lib/limiter";

export const WEB_CONCURRENCY = 3;
const limiter = createLimiter(WEB_CONCURRENCY);

interface Options {
  /** "force_blocking": never a cached answer (live visitors). */
  refresh?: "blocking" | "force_blocking";
  /** Ask again this often (ms); TanStack Query pauses it while the tab is hidden. */
  refetchInterval?: number;
  enabled?: boolean;
}

function tooManyQueries(error: Error): boolean {
  return error instanceof ApiError && error.status === 429;
}

export function useWebQuery<T>(projectId: number, query: object, options: Options = {}) {
  const refresh = options.refresh ?? "blocking";
  return useQuery({
    queryKey: ["web", projectId, query, refresh],
    queryFn: ({ signal }) =>
      limiter.run(
        () => api<T>(projectPath(projectId, "query/"), { method: "POST", body: { query, refresh }, signal }),
        signal,
      ),
    placeholderData: keepPreviousData,
    staleTime: 30_000,
    refetchInterval: options.refetchInterval,
    refetchIntervalInBackground: false,
    enabled: options.enabled ?? true,
    retry: (count, error) =>
      tooManyQueries(error) ? count < 5 : count < 2 && !(error instanceof ApiError && error.status < 500),
    retryDelay: (count, error) => (tooManyQueries(error) ? 1000 : Math.min(1000 * 2 ** count, 8000)),
  });
}
