// The persons behind a point of an insight: an ActorsQuery over the point's source, a page
// of 100 at a time, searchable, each person linking to their page.

import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";

import { api } from "../lib/api";
import { personDisplayName } from "../lib/person";
import { actorsTitle } from "./actorsTitle";
import { formatNumber } from "./format";
import type { ActorsQuery, ActorsResponse, ActorsSource } from "./types";
import "./insights.css";

const PAGE = 100;

interface Props {
  projectId: number;
  actorsSource: object;
  onClose: () => void;
}

export function ActorsModal({ projectId, actorsSource, onClose }: Props) {
  const source = actorsSource as ActorsSource;
  const dialog = useRef<HTMLDialogElement>(null);
  const [search, setSearch] = useState("");
  const [debounced, setDebounced] = useState("");

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  useEffect(() => {
    const timer = window.setTimeout(() => setDebounced(search.trim()), 300);
    return () => window.clearTimeout(timer);
  }, [search]);

  const actors = useInfiniteQuery({
    queryKey: ["actors", projectId, source, debounced],
    initialPageParam: 0,
    queryFn: ({ pageParam, signal }) => {
      const query: ActorsQuery = { kind: "ActorsQuery", source, limit: PAGE, offset: pageParam };
      if (debounced) query.search = debounced;
      return api<ActorsResponse>(`/api/projects/${projectId}/query/`, {
        method: "POST",
        body: { query },
        signal,
      });
    },
    getNextPageParam: (last) => (last.hasMore ? last.offset + last.limit : undefined),
  });

  const rows = actors.data?.pages.flatMap((page) => page.results) ?? [];
  const total = actors.data?.pages[0]?.total;
  const showCount = source.kind === "InsightActorsQuery" && source.source.kind !== "RetentionQuery";
  const title = actorsTitle(source);

  return (
    <dialog ref={dialog} className="actors-modal" aria-labelledby="actors-title" onClose={onClose}>
      <header className="actors-header">
        <h2 id="actors-title">{title}</h2>
        <button type="button" onClick={() => dialog.current?.close()} aria-label="Close">
          ×
        </button>
      </header>
      <input
        type="search"
        aria-label="Search persons"
        placeholder="Search by email, name or distinct id"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      {actors.isPending && <p className="loading">Loading persons…</p>}
      {actors.isError && (
        <p role="alert" className="error">
          {actors.error.message}
        </p>
      )}
      {actors.data && (
        <>
          <p className="muted" aria-live="polite">
            {formatNumber(total ?? rows.length)} {total === 1 ? "person" : "persons"}
          </p>
          <div className="table-scroll actors-table">
            <table className="data-table">
              <caption className="visually-hidden">{title}</caption>
              <thead>
                <tr>
                  <th scope="col">Person</th>
                  <th scope="col">Distinct id</th>
                  {showCount && (
                    <th scope="col" className="numeric">
                      Events
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {rows.map(([person, count]) => (
                  <tr key={person.id}>
                    <td>
                      <Link to={`/persons/${encodeURIComponent(person.id)}`}>
                        {personDisplayName(
                          person.properties.email,
                          person.properties.name,
                          person.distinct_ids[0] ?? person.id,
                        )}
                      </Link>
                    </td>
                    <td className="mono">{person.distinct_ids[0] ?? ""}</td>
                    {showCount && <td className="numeric">{formatNumber(count)}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {actors.hasNextPage && (
            <button type="button" onClick={() => void actors.fetchNextPage()} disabled={actors.isFetchingNextPage}>
              {actors.isFetchingNextPage ? "Loading…" : "Load more"}
            </button>
          )}
        </>
      )}
    </dialog>
  );
}
