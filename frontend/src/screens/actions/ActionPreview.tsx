import { Link } from "react-router";

import { describeEvent } from "../../lib/describe";
import { exactTime, relativeTime } from "../../lib/time";
import { useNow } from "../../lib/useNow";
import type { ActionPreview as Preview } from "./actionsApi";

interface Props {
  preview: Preview | undefined;
  pending: boolean;
  /** Set when the steps cannot be previewed (the error is shown at its field). */
  invalid: boolean;
  /** Why the preview could not be made, when it is not the steps' fault (busy, offline). */
  problem: string | null;
  empty: boolean;
}

function location(properties: Record<string, unknown>): string {
  const value = properties["$current_url"] ?? properties["$screen_name"];
  return typeof value === "string" ? value : "";
}

/** "Matching events": how many events the steps matched in the last 30 days, the newest few. */
export function ActionPreview({ preview, pending, invalid, problem, empty }: Props) {
  const now = useNow(30_000);
  const count = preview?.count;
  let status: string;
  if (empty) status = "Add a match group to see the events it matches.";
  else if (invalid) status = "Fix the match groups to see matching events.";
  else if (problem) status = `Could not count matching events: ${problem}`;
  else if (count === undefined) status = "Counting matching events…";
  else status = `${count.toLocaleString("en")} ${count === 1 ? "event" : "events"} matched in the last 30 days`;

  return (
    <section className="action-preview" aria-labelledby="preview-title" aria-busy={pending}>
      <h2 id="preview-title">Matching events</h2>
      <p className="preview-count" role="status">
        {status}
        {pending && !invalid && count !== undefined && <span className="muted"> (updating…)</span>}
      </p>
      {!invalid && !problem && !empty && preview && preview.results.length > 0 && (
        <table className="data-table preview-table">
          <caption className="muted">The newest of them</caption>
          <colgroup>
            <col className="col-event" />
            <col className="col-time" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Event and URL / Screen</th>
              <th scope="col">Time</th>
            </tr>
          </thead>
          <tbody>
            {preview.results.map((event) => {
              const description = describeEvent(event);
              const url = location(event.properties);
              return (
                <tr key={event.uuid}>
                  <td title={url ? `${description}\n${url}` : description}>
                    <Link to={`/events/${event.uuid}`}>{description}</Link>
                    {url && <span className="event-url">{url}</span>}
                  </td>
                  <td>
                    <time dateTime={event.timestamp} title={exactTime(event.timestamp)}>
                      {relativeTime(event.timestamp, now)}
                    </time>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
