import { useMemo, useState } from "react";
import { useSearchParams } from "react-router";

import { ExportButton } from "../../components/ExportButton";
import { FilteredEventList } from "../../components/FilteredEventList";
import { exportQueryFromParams } from "../../lib/eventsFilters";
import { useProject } from "../shell/project";

/** `/events`: every event, newest first, with filters in the URL and live updates. */
export default function EventsScreen() {
  const { project } = useProject();
  const [live, setLive] = useState(true);
  const [params] = useSearchParams();
  const search = params.toString();
  const exportQuery = useMemo(() => exportQueryFromParams(new URLSearchParams(search)), [search]);

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
        <ExportButton projectId={project.id} query={exportQuery} what="the filtered events" />
      </header>
      <FilteredEventList
        projectId={project.id}
        live={live}
        emptyText={(filtered) =>
          filtered
            ? "No events match these filters."
            : live
              ? "No events yet. Waiting for events…"
              : "No events yet."
        }
      />
    </section>
  );
}
