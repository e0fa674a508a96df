import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";

import { api, projectPath } from "../../lib/api";
import { exactTime, localTime } from "../../lib/time";
import { useProject } from "../shell/project";
import { activityText, actorText, detailText, type ActivityPage } from "./activityLog";

const PAGE = 20;

/** The current project's audit log: who changed what and when, newest first, paged. */
export function ActivitySection() {
  const { project } = useProject();
  const [offset, setOffset] = useState(0);
  const log = useQuery({
    queryKey: ["activity_log", project.id, offset],
    queryFn: ({ signal }) =>
      api<ActivityPage>(projectPath(project.id, `activity_log/?limit=${PAGE}&offset=${offset}`), {
        signal,
      }),
    placeholderData: keepPreviousData,
  });
  const entries = log.data?.results ?? [];
  return (
    <section aria-labelledby="settings-activity">
      <h2 id="settings-activity">Activity</h2>
      <p className="muted">
        Changes to {project.name}: settings, actions, erased persons and exports, with who made
        them. Sign-ins and keys are in the organization&apos;s log (
        <code>/api/organizations/@current/activity_log/</code>).
      </p>
      {log.error && (
        <p role="alert" className="error">
          Could not read the activity: {log.error.message}
        </p>
      )}
      {log.data && entries.length === 0 && offset === 0 && (
        <p className="muted">Nothing recorded yet.</p>
      )}
      {entries.length > 0 && (
        <table className="settings-table activity-table">
          <caption className="visually-hidden">Activity in {project.name}</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td>
                  <time dateTime={entry.created_at} title={exactTime(entry.created_at)}>
                    {localTime(entry.created_at)}
                  </time>
                </td>
                <td className="activity-who">{actorText(entry)}</td>
                <td>{activityText(entry)}</td>
                <td className="activity-detail">{detailText(entry)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {(offset > 0 || log.data?.next) && (
        <div className="activity-pages">
          <button
            type="button"
            className="secondary"
            disabled={offset === 0}
            onClick={() => setOffset(Math.max(0, offset - PAGE))}
          >
            Newer
          </button>
          <button
            type="button"
            className="secondary"
            disabled={!log.data?.next}
            onClick={() => setOffset(offset + PAGE)}
          >
            Older
          </button>
        </div>
      )}
    </section>
  );
}
