import { useQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";

import { api, projectPath } from "../../lib/api";
import { exactTime, relativeTime } from "../../lib/time";
import { useNow } from "../../lib/useNow";
import { useProject } from "../shell/project";
import { Sparkline } from "./Sparkline";
import { WarningSamples } from "./WarningSamples";
import { explain, type WarningSummary, type WarningTypeSummary } from "./warningTypes";
import "./warnings.css";

const REFRESH_MS = 10_000;
const COLUMNS = 5;

/** `/ingestion-warnings`: why events were discarded (or changed), per type, with a count
 * per day and the latest samples of each type. */
export default function IngestionWarningsScreen() {
  const { project } = useProject();
  const now = useNow(30_000);
  const summary = useQuery({
    queryKey: ["ingestion-warnings", project.id],
    queryFn: ({ signal }) =>
      api<WarningSummary>(projectPath(project.id, "ingestion/warnings/summary/"), { signal }),
    refetchInterval: REFRESH_MS,
  });

  return (
    <div className="warnings-screen">
      <h1>Ingestion warnings</h1>
      <p className="intro">
        Every event that ingestion discarded, or stored with a change, leaves a warning here.
        The chart counts the last 30 days of {project.name}'s time zone
        {summary.data ? ` (${summary.data.timezone})` : ""}.
      </p>
      {summary.error && (
        <p role="alert" className="error">
          Could not load the warnings: {summary.error.message}
        </p>
      )}
      {!summary.data && !summary.error && <p className="loading">Loading…</p>}
      {summary.data && summary.data.results.length === 0 && (
        <p className="empty-note">No warnings: every event ingestion read was stored as sent.</p>
      )}
      {summary.data && summary.data.results.length > 0 && (
        <table className="warnings-table">
          <thead>
            <tr>
              <th scope="col" className="col-warning">Warning</th>
              <th scope="col">Outcome</th>
              <th scope="col">Last 30 days</th>
              <th scope="col" className="num">Events</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {summary.data.results.map((row) => (
              <WarningRow key={row.type} row={row} now={now} />
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function WarningRow({ row, now }: { row: WarningTypeSummary; now: number }) {
  const [open, setOpen] = useState(false);
  const { title, text } = explain(row.type);
  const samplesId = `samples-${row.type}`;
  return (
    <Fragment>
      <tr>
        <th scope="row" className="col-warning">
          <button
            type="button"
            className="expander"
            aria-expanded={open}
            aria-controls={samplesId}
            onClick={() => setOpen(!open)}
          >
            <span aria-hidden="true">{open ? "▾" : "▸"}</span> {title}
          </button>
          <code className="warning-code">{row.type}</code>
          <p className="warning-text">{text}</p>
        </th>
        <td>
          <span className={row.discards ? "outcome discarded" : "outcome kept"}>
            {row.discards ? "Discarded" : "Stored"}
          </span>
        </td>
        <td>
          <Sparkline days={row.days} />
        </td>
        <td className="num">{row.count.toLocaleString("en")}</td>
        <td className="last-seen">
          <time dateTime={row.last_seen} title={exactTime(row.last_seen)}>
            {relativeTime(row.last_seen, now)}
          </time>
        </td>
      </tr>
      {open && (
        <tr className="samples-row" id={samplesId}>
          <td colSpan={COLUMNS}>
            <WarningSamples
              type={row.type}
              linkEvents={!row.discards || row.type === "duplicate_event"}
            />
          </td>
        </tr>
      )}
    </Fragment>
  );
}
