import { useQuery } from "@tanstack/react-query";
import { Navigate } from "react-router";

import { runQuery } from "../../lib/api";
import type { QueryResponse } from "../../lib/types";
import { useProject } from "../shell/project";
import { NEWEST_EVENT } from "./newestEvent";
import { Onboarding } from "./Onboarding";

/** `/`: the activity view once the project has events, else how to send the first one. */
export default function HomeScreen() {
  const { project } = useProject();
  const check = useQuery({
    queryKey: ["home", project.id],
    queryFn: ({ signal }) => runQuery<QueryResponse>(project.id, NEWEST_EVENT, signal),
    staleTime: 0,
  });
  if (check.error) {
    return (
      <p role="alert" className="page-error">
        {check.error.message}
      </p>
    );
  }
  if (!check.data) return <p className="loading">Loading…</p>;
  if (check.data.results.length > 0) return <Navigate to="/events" replace />;
  return <Onboarding />;
}
