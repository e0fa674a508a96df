import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import { api, projectPath } from "../../lib/api";
import { exactTime, localTime } from "../../lib/time";
import { useProject } from "../shell/project";
import { detailsText, isoOfSeconds, type WarningSample } from "./warningTypes";

const SAMPLES = 20;

function samplesPath(projectId: number, type: string): string {
  const query = new URLSearchParams({ type, limit: String(SAMPLES) });
  return projectPath(projectId, `ingestion/warnings/?${query.toString()}`);
}

/** The latest warnings of one type: when, which event, and the details, all as text. A
 * discarded event is not stored, so only kept ones (and the stored twin of a duplicate)
 * link to their event. */
export function WarningSamples({ type, linkEvents }: { type: string; linkEvents: boolean }) {
  const { project } = useProject();
  const samples = useQuery({
    queryKey: ["ingestion-warning-samples", project.id, type],
    queryFn: ({ signal }) =>
      api<{ results: WarningSample[] }>(samplesPath(project.id, type), { signal }),
  });
  if (samples.error) {
    return (
      <p role="alert" className="error">
        Could not load the samples: {samples.error.message}
      </p>
    );
  }
  if (!samples.data) return <p className="loading">Loading samples…</p>;
  return (
    <table className="samples">
      <caption>Latest {Math.min(SAMPLES, samples.data.results.length)} of this type</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Event UUID</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {samples.data.results.map((sample) => {
          const iso = isoOfSeconds(sample.timestamp);
          const uuid = sample.event_uuid;
          return (
            <tr key={sample.id}>
              <td>
                <time dateTime={iso} title={exactTime(iso)}>
                  {localTime(iso)}
                </time>
              </td>
              <td className="uuid">
                {uuid && linkEvents ? <Link to={`/events/${uuid}`}>{uuid}</Link> : (uuid ?? "—")}
              </td>
              <td className="details">{detailsText(sample.details) || "—"}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
