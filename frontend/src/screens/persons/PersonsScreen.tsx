import { useEffect, useState } from "react";
import { Link, useLocation, useSearchParams } from "react-router";

import { exactTime, relativeTime } from "../../lib/time";
import { useNow } from "../../lib/useNow";
import { useProject } from "../shell/project";
import { emptyText, listEndText, personPagePath, personRow } from "./personsList";
import { usePersonList } from "./usePersons";
import "./persons.css";

/** Typing settles for this long before the search goes to the URL (and the server). */
const SEARCH_DELAY_MS = 300;

function Time({ value, now }: { value: string | null; now: number }) {
  if (!value) {
    return (
      <span className="none" aria-label="never">
        —
      </span>
    );
  }
  return (
    <time dateTime={value} title={exactTime(value)}>
      {relativeTime(value, now)}
    </time>
  );
}

/** `/persons`: every person, newest first, searchable; the search lives in `?search=`. */
export default function PersonsScreen() {
  const { project } = useProject();
  const [params, setParams] = useSearchParams();
  const search = params.get("search")?.trim() ?? "";
  const [draft, setDraft] = useState(search);
  const [urlSearch, setUrlSearch] = useState(search);
  if (search !== urlSearch) {
    // The address changed (back, a link): show its search, unless it is what was typed.
    setUrlSearch(search);
    if (draft.trim() !== search) setDraft(search);
  }
  const list = usePersonList(project.id, search);
  const now = useNow(10_000);
  const erased = (useLocation().state as { erased?: number } | null)?.erased;

  useEffect(() => {
    const term = draft.trim();
    if (term === search) return;
    const timer = window.setTimeout(
      () => setParams(term ? { search: term } : {}, { replace: true }),
      SEARCH_DELAY_MS,
    );
    return () => window.clearTimeout(timer);
  }, [draft, search, setParams]);

  const rows = (list.data?.pages ?? []).flatMap((page) => page.results).map(personRow);

  return (
    <section className="persons-screen" aria-labelledby="persons-title">
      <header className="screen-header">
        <h1 id="persons-title">Persons</h1>
      </header>
      <p className="intro">Everyone behind your events, newest first.</p>
      {erased !== undefined && (
        <p role="status" className="erased-note">
          The person was deleted (erasure job {erased}).
        </p>
      )}
      <form
        role="search"
        className="persons-search"
        onSubmit={(event) => {
          event.preventDefault();
          const term = draft.trim();
          setParams(term ? { search: term } : {}, { replace: true });
        }}
      >
        <label className="field inline">
          <span>Search</span>
          <input
            type="search"
            aria-label="Search persons"
            placeholder="Distinct ID, email, name or any property value"
            value={draft}
            onChange={(event) => setDraft(event.target.value)}
          />
        </label>
      </form>
      {list.error && (
        <p role="alert" className="error">
          Could not load persons: {list.error.message}
        </p>
      )}
      {list.isPending ? (
        <p className="loading">Loading persons…</p>
      ) : rows.length === 0 ? (
        <p className="empty-list" role="status">
          {emptyText(search)}
        </p>
      ) : (
        <>
          <table className="data-table persons-table">
            <colgroup>
              <col className="col-name" />
              <col className="col-id" />
              <col className="col-seen" />
              <col className="col-seen" />
            </colgroup>
            <thead>
              <tr>
                <th scope="col">Person</th>
                <th scope="col">ID</th>
                <th scope="col">First seen</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id}>
                  <td title={row.name}>
                    <Link to={personPagePath(row.id)}>{row.name}</Link>
                  </td>
                  <td title={row.distinctId}>{row.distinctId}</td>
                  <td>
                    <Time value={row.createdAt} now={now} />
                  </td>
                  <td>
                    <Time value={row.lastSeenAt} now={now} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="list-end" role="status">
            {listEndText(rows.length, list.hasNextPage)}
          </p>
          {list.hasNextPage && (
            <p className="load-more">
              <button
                type="button"
                className="secondary"
                disabled={list.isFetchingNextPage}
                onClick={() => void list.fetchNextPage()}
              >
                {list.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            </p>
          )}
        </>
      )}
    </section>
  );
}
