// The ActorsQuery source for a clicked point: an InsightActorsQuery for trends, lifecycle,
// stickiness and retention, a FunnelsActorsQuery for a funnel step (tests/analytics/test_actors.py).

import type { PointKey } from "./chartModel";
import type {
  FunnelsActorsQuery,
  FunnelsQuery,
  InsightActorsQuery,
  LifecycleQuery,
  RetentionQuery,
  StickinessQuery,
  TrendsQuery,
} from "./types";

/** A point of a series over intervals; `day` undefined for a value over the whole range. */
export function pointActors(
  query: TrendsQuery | LifecycleQuery | StickinessQuery,
  key: PointKey,
  day: string | number | undefined,
): InsightActorsQuery {
  const source: InsightActorsQuery = { kind: "InsightActorsQuery", source: query };
  if (day !== undefined) source.day = day;
  if (query.kind === "LifecycleQuery") {
    if (key.status) source.status = key.status;
    return source;
  }
  source.series = key.series ?? 0;
  if (key.breakdown !== undefined) source.breakdown = key.breakdown;
  if (key.compare) source.compare = key.compare;
  return source;
}

/** A retention cell: the cohort row (within its breakdown value) and the period. */
export function retentionActors(
  query: RetentionQuery,
  interval: number,
  period: number,
  breakdown: string | number | null | undefined,
): InsightActorsQuery {
  const source: InsightActorsQuery = { kind: "InsightActorsQuery", source: query, interval, period };
  if (breakdown !== undefined && breakdown !== null) source.breakdown = breakdown;
  return source;
}

/** The persons who reached step `step` (1 first), or who reached the one before and not it. */
export function funnelActors(
  query: FunnelsQuery,
  step: number,
  dropped: boolean,
  breakdown: string | number | undefined,
): FunnelsActorsQuery {
  const source: FunnelsActorsQuery = {
    kind: "FunnelsActorsQuery",
    source: query,
    funnelStep: dropped ? -step : step,
  };
  if (breakdown !== undefined) source.funnelStepBreakdown = breakdown;
  return source;
}
