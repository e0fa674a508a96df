// The persons modal's title, from the point's source.

import type { ActorsSource } from "./types";

const STATUS_NAMES = { new: "New", returning: "Returning", resurrecting: "Resurrecting", dormant: "Dormant" };

export function actorsTitle(source: ActorsSource): string {
  if (source.kind === "FunnelsActorsQuery") {
    const step = Math.abs(source.funnelStep);
    return source.funnelStep > 0 ? `Persons who reached step ${step}` : `Persons who dropped off before step ${step}`;
  }
  const inner = source.source;
  if (inner.kind === "RetentionQuery") {
    return `Persons of cohort ${(source.interval ?? 0) + 1}, period ${source.period ?? 0}`;
  }
  if (inner.kind === "StickinessQuery") {
    const interval = inner.interval ?? "day";
    const n = Number(source.day ?? 1);
    return `Persons active on ${n} ${interval}${n === 1 ? "" : "s"}`;
  }
  if (inner.kind === "LifecycleQuery" && source.status) {
    return `${STATUS_NAMES[source.status]} persons on ${String(source.day ?? "")}`;
  }
  return source.day === undefined ? "Persons" : `Persons on ${String(source.day)}`;
}
