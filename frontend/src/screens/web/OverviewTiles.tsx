// The five tiles (WebOverviewQuery): visitors, page views, sessions, session duration and
// bounce rate, each with its change against the previous period when compare is on.

import { overviewQuery } from "./webQueries";
import { formatChange, formatItemValue, previousText, TILE_LABELS, tileLabel, type OverviewResponse } from "./webFormat";
import type { WebState } from "./webState";
import { useWebQuery } from "./useWebQuery";

interface Props {
  projectId: number;
  state: WebState;
}

export function OverviewTiles({ projectId, state }: Props) {
  const overview = useWebQuery<OverviewResponse>(projectId, overviewQuery(state));
  const items = overview.data?.results;
  return (
    <section className="web-tiles-section" aria-label="Overview" aria-busy={overview.isFetching}>
      {overview.error && (
        <p role="alert" className="error">
          Could not load the overview: {overview.error.message}
        </p>
      )}
      <ul className="web-tiles">
        {items
          ? items.map((item) => {
              const change = state.compare ? formatChange(item.changeFromPreviousPct, item.isIncreaseBad ?? false) : null;
              const previous = state.compare ? previousText(item) : null;
              const id = `web-tile-${item.key.replace(/\W+/g, "-")}`;
              return (
                <li key={item.key} className="web-tile" role="group" aria-labelledby={id}>
                  <h2 id={id} className="web-tile-label">
                    {tileLabel(item.key)}
                  </h2>
                  <p className="web-tile-value">{formatItemValue(item.kind, item.value)}</p>
                  <p className="web-tile-change">
                    {change && (
                      <span className={`web-change ${change.tone}`} title={previous ?? undefined}>
                        <span aria-hidden="true">{change.text}</span>
                        <span className="visually-hidden">{change.spoken}</span>
                      </span>
                    )}
                    {!change && previous && <span className="muted">{previous}</span>}
                  </p>
                </li>
              );
            })
          : Object.values(TILE_LABELS).map((label) => (
              <li key={label} className="web-tile" aria-hidden="true">
                <p className="web-tile-label">{label}</p>
                <p className="web-tile-value muted">…</p>
              </li>
            ))}
      </ul>
    </section>
  );
}
