import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";

import { filtersFromParams, paramsFromFilters, type EventFilters as Filters } from "../../lib/eventsFilters";
import { useProject } from "../shell/project";
import { EventFilters } from "../../components/EventFilters";
import { EventsTable } from "../../components/EventsTable";
import { useEventList } from "../../lib/useEventList";

/** `/events`: every event, newest first, with filters in the URL and live updates. */
export default function EventsScreen() {
  const { project } = useProject();
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  const filters = useMemo(() => filtersFromParams(new URLSearchParams(search)), [search]);
  const [live, setLive] = useState(true);
  const list = useEventList(project.id, filters, live);
  const filtered = search !== "";

  function apply(next: Filters) {
    setParams(paramsFromFilters(next), { replace: true });
  }

  return (
    <section className="events-screen" aria-labelledby="events-title">
      <header className="screen-header">
        <h1 id="events-title">Activity</h1>
        <div className="live" role="group" aria-label="Live updates">
          <span className={live ? "live-dot on" : "live-dot"} aria-hidden="true" />
          <span role="status">{live ? "Live: new events appear as they arrive" : "Paused"}</span>
          <button type="button" className="secondary" onClick={() => setLive(!live)}>
            {live ? "Pause" : "Resume live updates"}
          </button>
        </div>
      </header>
      <EventFilters key={search} projectId={project.id} filters={filters} onApply={apply} />
      {list.error && (
        <p role="alert" className="error">
          Could not load events: {list.error.message}
        </p>
      )}
      {list.isLoading ? (
        <p className="loading">Loading events…</p>
      ) : (
        <EventsTable
          rows={list.rows}
          hasOlder={list.hasOlder}
          isLoadingOlder={list.isLoadingOlder}
          loadOlder={list.loadOlder}
          emptyText={
            filtered
              ? "No events match these filters."
              : live
                ? "No events yet. Waiting for events…"
                : "No events yet."
          }
        />
      )}
    </section>
  );
}
