// Who is on the site now: persons with a page view in the last five minutes and the page of
// their latest one, asked again every 10 s while the tab is visible (TanStack Query pauses
// the interval in a hidden tab), never from the result cache.

import type { HogQLResponse } from "../../insights/types";
import { formatNumber } from "../../insights/format";
import { liveRows } from "./webFormat";
import { LIVE_MINUTES, liveQuery } from "./webQueries";
import { useWebQuery } from "./useWebQuery";

export const LIVE_REFRESH_MS = 10_000;

export function LiveVisitors({ projectId, host }: { projectId: number; host: string | null }) {
  const live = useWebQuery<HogQLResponse>(projectId, liveQuery(host), {
    refresh: "force_blocking",
    refetchInterval: LIVE_REFRESH_MS,
  });
  const rows = live.data ? liveRows(live.data) : null;
  return (
    <section className="web-card web-live" aria-labelledby="web-live-title">
      <h2 id="web-live-title">Live</h2>
      {live.error && (
        <p role="alert" className="error">
          Could not load live visitors: {live.error.message}
        </p>
      )}
      {!rows && !live.error && <p className="loading">Loading…</p>}
      {rows && (
        <>
          <p className="web-live-count" aria-live="polite">
            <span className={rows.total > 0 ? "live-dot on" : "live-dot"} aria-hidden="true" />
            <strong>{formatNumber(rows.total)}</strong> {rows.total === 1 ? "visitor" : "visitors"} in the last{" "}
            {LIVE_MINUTES} minutes
          </p>
          {rows.pages.length === 0 ? (
            <p className="web-empty">No page views in the last {LIVE_MINUTES} minutes.</p>
          ) : (
            <table className="data-table web-table">
              <caption className="visually-hidden">Pages live visitors are on</caption>
              <thead>
                <tr>
                  <th scope="col">Page</th>
                  <th scope="col" className="numeric">
                    Visitors
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.pages.map((row, index) => (
                  <tr key={index}>
                    <th scope="row" className="web-value" title={row.page ?? undefined}>
                      {row.page ?? <span className="none">None</span>}
                    </th>
                    <td className="numeric">{formatNumber(row.visitors)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </>
      )}
    </section>
  );
}
