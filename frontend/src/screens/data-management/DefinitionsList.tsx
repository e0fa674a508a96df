import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useSearchParams } from "react-router";

import { api, projectPath } from "../../lib/api";
import type { Definition, Page } from "../../lib/types";
import { useProject } from "../shell/project";
import { DefinitionsTable } from "./DefinitionsTable";
import {
  definitionsPath,
  listParams,
  listState,
  pageRange,
  PAGE_SIZE,
  type ListState,
  type PropertyKind,
} from "./definitionsList";

const SEARCH_DELAY_MS = 250;
const COUNT_EVENTS_SQL =
  "SELECT event, count() AS volume, max(timestamp) AS last_seen\nFROM events\n" +
  "WHERE timestamp > now() - INTERVAL 1 DAY\nGROUP BY event\nORDER BY volume DESC";

interface Props {
  kind: "events" | "properties";
}

/** One list of definitions: search (on the server), the type picker, the table, pages. */
export function DefinitionsList({ kind }: Props) {
  const { project } = useProject();
  const [params, setParams] = useSearchParams();
  const state = listState(params);
  const [search, setSearch] = useState(state.search);
  const [urlSearch, setUrlSearch] = useState(state.search);
  // The URL changed by other means (a link, back): the box follows it.
  if (urlSearch !== state.search) {
    setUrlSearch(state.search);
    setSearch(state.search);
  }

  function go(next: ListState) {
    setParams(listParams(next), { replace: true });
  }

  useEffect(() => {
    if (search.trim() === state.search) return;
    const timer = window.setTimeout(() => go({ ...state, search: search.trim(), page: 1 }), SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
  });

  const path = definitionsPath(kind, state);
  const list = useQuery({
    queryKey: ["definitions-page", project.id, path],
    queryFn: ({ signal }) => api<Page<Definition>>(projectPath(project.id, path), { signal }),
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
  const noun = kind === "events" ? "events" : "properties";
  const lastPage = Math.max(1, Math.ceil((list.data?.count ?? 0) / PAGE_SIZE));

  return (
    <div className="definitions">
      <div className="definitions-tools">
        <label className="field inline">
          <span>Search</span>
          <input
            type="search"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
            placeholder={kind === "events" ? "Search for events" : "Search for properties"}
          />
        </label>
        {kind === "properties" && (
          <PropertyKindPicker value={state.type} onChange={(type) => go({ ...state, type, page: 1 })} />
        )}
        {kind === "events" && (
          <Link className="definitions-sql" to={`/sql?${new URLSearchParams({ q: COUNT_EVENTS_SQL })}`}>
            Count events of the last 24 hours with SQL
          </Link>
        )}
      </div>
      {list.error && (
        <p role="alert" className="error">
          Could not load the {noun}: {list.error.message}
        </p>
      )}
      {list.isPending ? (
        <p className="loading">Loading {noun}…</p>
      ) : list.data ? (
        <>
          <DefinitionsTable
            kind={kind}
            propertyKind={state.type}
            definitions={list.data.results}
            emptyText={
              state.search
                ? `No ${noun} match “${state.search}”.`
                : kind === "events"
                  ? "No events yet. Each event name appears here with its first event."
                  : state.type === "person"
                    ? "No person properties yet. They appear when an event sets them."
                    : "No event properties yet. They appear with the first event that carries them."
            }
          />
          {list.data.count > 0 && (
            <nav className="pager" aria-label="Pages">
              <button
                type="button"
                className="secondary"
                disabled={state.page <= 1}
                onClick={() => go({ ...state, page: state.page - 1 })}
              >
                Previous
              </button>
              <span role="status" className={list.isPlaceholderData ? "muted loading-page" : "muted"}>
                {pageRange(state.page, list.data.results.length, list.data.count)}
              </span>
              <button
                type="button"
                className="secondary"
                disabled={state.page >= lastPage}
                onClick={() => go({ ...state, page: state.page + 1 })}
              >
                Next
              </button>
            </nav>
          )}
        </>
      ) : null}
    </div>
  );
}

/**
 * Event or person properties. The choice lives in the URL, which the router updates in a
 * transition; the radio keeps its own copy so that it shows the click at once (a controlled
 * radio that waits for the URL is reset to the old value by React for a moment, and a click
 * read in that moment seems lost).
 */
function PropertyKindPicker(props: { value: PropertyKind; onChange: (kind: PropertyKind) => void }) {
  const [chosen, setChosen] = useState(props.value);
  const [fromUrl, setFromUrl] = useState(props.value);
  if (fromUrl !== props.value) {
    // The URL changed by other means (back, a link): follow it.
    setFromUrl(props.value);
    setChosen(props.value);
  }
  const choices: [PropertyKind, string][] = [
    ["event", "Event properties"],
    ["person", "Person properties"],
  ];
  return (
    <fieldset className="segmented">
      <legend>Show</legend>
      {choices.map(([kind, label]) => (
        <label key={kind} className={chosen === kind ? "chosen" : undefined}>
          <input
            type="radio"
            name="property-kind"
            value={kind}
            checked={chosen === kind}
            onChange={() => {
              setChosen(kind);
              props.onChange(kind);
            }}
          />
          {label}
        </label>
      ))}
    </fieldset>
  );
}
