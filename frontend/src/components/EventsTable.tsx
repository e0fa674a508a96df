import { useVirtualizer } from "@tanstack/react-virtual";
import { useEffect, useRef } from "react";
import { Link } from "react-router";

import { useNow } from "../lib/useNow";
import { exactTime, relativeTime } from "../lib/time";
import { eventView, type EventListRow } from "../lib/eventRows";

const ROW_HEIGHT = 37;
/** Start loading older events this many rows before the end. */
const PREFETCH_ROWS = 30;

interface Props {
  rows: EventListRow[];
  hasOlder: boolean;
  isLoadingOlder: boolean;
  loadOlder: () => void;
  emptyText: string;
  /** The Person column (left out where all events are one person's). */
  showPerson?: boolean;
}

/** An empty cell: the property is not on the event. */
function Empty() {
  return (
    <span className="none" aria-label="none">
      —
    </span>
  );
}

export function EventsTable({
  rows,
  hasOlder,
  isLoadingOlder,
  loadOlder,
  emptyText,
  showPerson = true,
}: Props) {
  const columnCount = showPerson ? 5 : 4;
  const scroller = useRef<HTMLDivElement>(null);
  const now = useNow(10_000);
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read each render
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 15,
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items.at(-1)?.index ?? -1;

  useEffect(() => {
    if (hasOlder && !isLoadingOlder && lastIndex >= rows.length - PREFETCH_ROWS) loadOlder();
  }, [hasOlder, isLoadingOlder, lastIndex, rows.length, loadOlder]);

  const paddingTop = items[0]?.start ?? 0;
  const paddingBottom = virtualizer.getTotalSize() - (items.at(-1)?.end ?? 0);

  return (
    <div
      className="table-scroll"
      ref={scroller}
      tabIndex={0}
      role="region"
      aria-label="Events, newest first"
    >
      <table className="data-table events-table" aria-rowcount={rows.length + 1}>
        <colgroup>
          <col className="col-event" />
          {showPerson && <col className="col-person" />}
          <col className="col-url" />
          <col className="col-lib" />
          <col className="col-time" />
        </colgroup>
        <thead>
          <tr>
            <th scope="col">Event</th>
            {showPerson && <th scope="col">Person</th>}
            <th scope="col">URL / Screen</th>
            <th scope="col">Library</th>
            <th scope="col">Time</th>
          </tr>
        </thead>
        <tbody>
          {paddingTop > 0 && (
            <tr aria-hidden="true" className="spacer">
              <td colSpan={columnCount} style={{ height: paddingTop }} />
            </tr>
          )}
          {items.map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            const view = eventView(row);
            return (
              <tr key={view.uuid} aria-rowindex={item.index + 2} style={{ height: ROW_HEIGHT }}>
                <td title={view.rawEvent}>
                  <Link to={`/events/${view.uuid}`}>{view.description}</Link>
                </td>
                {showPerson && (
                  <td title={view.personName}>
                    {view.personId ? (
                      <Link to={`/persons/${view.personId}`}>{view.personName}</Link>
                    ) : (
                      view.personName
                    )}
                  </td>
                )}
                <td title={view.location}>{view.location || <Empty />}</td>
                <td title={view.library}>{view.library || <Empty />}</td>
                <td>
                  <time dateTime={view.timestamp} title={exactTime(view.timestamp)}>
                    {relativeTime(view.timestamp, now)}
                  </time>
                </td>
              </tr>
            );
          })}
          {paddingBottom > 0 && (
            <tr aria-hidden="true" className="spacer">
              <td colSpan={columnCount} style={{ height: paddingBottom }} />
            </tr>
          )}
        </tbody>
      </table>
      <p className="list-end" role="status">
        {rows.length === 0
          ? emptyText
          : isLoadingOlder
            ? "Loading older events…"
            : hasOlder
              ? `Showing ${rows.length} events; scroll for older ones.`
              : `All ${rows.length} events are shown.`}
      </p>
    </div>
  );
}
