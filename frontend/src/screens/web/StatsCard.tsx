// One card of tables (Pages, Sources, Devices, Geography): its tabs, and the open tab's
// table. The open tab is in the URL; only it asks the server.

import { BREAKDOWN_INFO, type Breakdown, type CARDS, type RowFilter } from "./breakdowns";
import { StatsTable } from "./StatsTable";
import type { WebState } from "./webState";

interface Props {
  card: (typeof CARDS)[number];
  projectId: number;
  state: WebState;
  onTab: (tab: Breakdown) => void;
  onFilter: (filter: RowFilter) => void;
}

export function StatsCard({ card, projectId, state, onTab, onFilter }: Props) {
  const open = state.tabs[card.id];
  const panel = `web-panel-${card.id}`;
  return (
    <section className="web-card" aria-labelledby={`web-card-${card.id}`}>
      <div className="web-card-head">
        <h2 id={`web-card-${card.id}`}>{card.title}</h2>
        <div role="tablist" aria-label={`${card.title} tables`} className="web-tabs">
          {card.tabs.map((tab: Breakdown) => (
            <button
              key={tab}
              type="button"
              role="tab"
              id={`web-tab-${tab}`}
              aria-selected={tab === open}
              aria-controls={panel}
              className={tab === open ? "web-tab selected" : "web-tab"}
              onClick={() => tab !== open && onTab(tab)}
            >
              {BREAKDOWN_INFO[tab].tab}
            </button>
          ))}
        </div>
      </div>
      <div role="tabpanel" id={panel} aria-labelledby={`web-tab-${open}`}>
        <StatsTable key={open} projectId={projectId} state={state} breakdown={open} onFilter={onFilter} />
      </div>
      {card.id === "geo" && (
        // The shipped location data is DB-IP's (CC BY 4.0), which asks pages that show it
        // to link back (docs/web-analytics.md, "The database").
        <p className="muted web-attribution">
          <a href="https://db-ip.com" target="_blank" rel="noreferrer">
            IP Geolocation by DB-IP
          </a>
        </p>
      )}
    </section>
  );
}
