import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";

import { runQuery } from "../../lib/api";
import { SnippetList } from "../../components/SnippetList";
import { describeEvent } from "../../lib/describe";
import type { QueryResponse } from "../../lib/types";
import { useProject } from "../shell/project";
import { NEWEST_EVENT } from "./newestEvent";

const POLL_MS = 2000;

type Row = [string, string, string];

export function Onboarding() {
  const { project } = useProject();
  const first = useQuery({
    queryKey: ["first-event", project.id],
    queryFn: ({ signal }) => runQuery<QueryResponse<Row>>(project.id, NEWEST_EVENT, signal),
    refetchInterval: (query) => ((query.state.data?.results.length ?? 0) > 0 ? false : POLL_MS),
  });
  const arrived = first.data?.results[0];

  return (
    <section className="onboarding" aria-labelledby="onboarding-title">
      <h1 id="onboarding-title">Send your first event to {project.name}</h1>
      <p>
        Add one of these snippets to your website or app. The project token and this server's
        address are filled in.
      </p>
      <div role="status" className={arrived ? "status arrived" : "status waiting"}>
        {arrived ? (
          <>
            Your first event arrived: <strong>{describeEvent({ event: arrived[1], properties: {} })}</strong>.{" "}
            <Link to="/events">See it in Activity</Link>
          </>
        ) : (
          "Waiting for the first event… this page notices it by itself."
        )}
      </div>
      <SnippetList token={project.api_token} headingLevel={2} />
    </section>
  );
}
