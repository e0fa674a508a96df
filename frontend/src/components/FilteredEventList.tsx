import { useMemo } from "react";
import { useSearchParams } from "react-router";

import { filtersFromParams, paramsFromFilters, type EventFilters as Filters, type EventScope } from "../lib/eventsFilters";
import { useEventList } from "../lib/useEventList";
import { EventFilters } from "./EventFilters";
import { EventsTable } from "./EventsTable";

const EVERYONE: EventScope = {};

interface Props {
  projectId: number;
  live: boolean;
  scope?: EventScope;
  showPerson?: boolean;
  /** What the table says when it has no rows; `filtered`: the URL holds filters. */
  emptyText: (filtered: boolean) => string;
}

/** The filters (kept in the URL) and the endless table of events they select: the body of
 * the activity view and of a person's events. */
export function FilteredEventList({ projectId, live, scope = EVERYONE, showPerson, emptyText }: Props) {
  const [params, setParams] = useSearchParams();
  const search = params.toString();
  const filters = useMemo(() => filtersFromParams(new URLSearchParams(search)), [search]);
  const list = useEventList(projectId, filters, live, scope);

  function apply(next: Filters) {
    setParams(paramsFromFilters(next), { replace: true });
  }

  return (
    <>
      <EventFilters key={search} projectId={projectId} filters={filters} onApply={apply} />
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
          showPerson={showPerson}
          emptyText={emptyText(search !== "")}
        />
      )}
    </>
  );
}
