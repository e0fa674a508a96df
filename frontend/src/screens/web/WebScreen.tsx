// /web: web analytics on the page views Hedgerow already receives. One page, Plausible-like:
// the controls and filter chips, five tiles, visitors over time beside the live visitors,
// then four cards of tables (pages, sources, devices, geography). Everything it shows comes
// from the URL (webState.ts); a click on a row filters every part by it (a second click undoes it).

import { useMemo } from "react";
import { useSearchParams } from "react-router";

import { useProject } from "../shell/project";
import { CARDS, type RowFilter } from "./breakdowns";
import { FilterChips } from "./FilterChips";
import { LiveVisitors } from "./LiveVisitors";
import { OverviewTiles } from "./OverviewTiles";
import { StatsCard } from "./StatsCard";
import { VisitorsChart } from "./VisitorsChart";
import { WebControls } from "./WebControls";
import { paramsFromState, stateFromParams, toggleFilter, type WebState } from "./webState";
import "../../insights/insights.css";
import "./web.css";

export default function WebScreen() {
  const { project } = useProject();
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  const state = useMemo(() => stateFromParams(new URLSearchParams(search)), [search]);

  /** A new view is a history entry (back returns to the last one); a tab switch replaces it. */
  function update(next: WebState, options: { replace?: boolean } = {}) {
    setParams(paramsFromState(next), { replace: options.replace ?? false });
  }
  const selectRow = (row: RowFilter) => update(toggleFilter(state, row));

  return (
    <div className="web-screen">
      <header className="screen-header">
        <h1>Web analytics</h1>
      </header>
      <WebControls projectId={project.id} state={state} onChange={update} />
      <FilterChips state={state} onChange={update} />
      <OverviewTiles projectId={project.id} state={state} />
      <p className="web-note">
        Cookieless visitors (projects in cookieless mode) are counted per day from a daily hash, so one person
        returning on another day counts as another visitor.
      </p>
      <div className="web-top">
        <VisitorsChart projectId={project.id} state={state} />
        <LiveVisitors projectId={project.id} host={state.host} />
      </div>
      <div className="web-cards">
        {CARDS.map((card) => (
          <StatsCard
            key={card.id}
            card={card}
            projectId={project.id}
            state={state}
            onTab={(tab) => update({ ...state, tabs: { ...state.tabs, [card.id]: tab } }, { replace: true })}
            onFilter={selectRow}
          />
        ))}
      </div>
    </div>
  );
}
