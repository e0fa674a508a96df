// `/dashboard/<id>` in the route table: this small part comes with the first load. It asks
// for the dashboard and its tiles' results at once, while the screen's code (the grid and the
// charts) loads, and shows the screen as soon as that code is here (a lazy screen inside
// Suspense would be held back 300 ms more by React's reveal throttle).

import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { useParams } from "react-router";

import { moduleLoader } from "../../lib/moduleLoader";
import { useProject } from "../shell/project";
import { prefetchDashboard } from "./tileQueries";

const screen = moduleLoader(() => import("./DashboardScreen").then((module) => module.default));

export default function DashboardRoute() {
  const { project } = useProject();
  const queryClient = useQueryClient();
  const id = Number(useParams().id);
  const loaded = screen.useLoaded();

  useEffect(() => {
    // A failure shows on the screen itself, which asks again.
    prefetchDashboard(queryClient, project.id, id).catch(() => undefined);
  }, [queryClient, project.id, id]);

  if (loaded.status === "failed") {
    return (
      <p role="alert" className="page-error">
        Could not load the dashboard screen: {loaded.error.message}. Reload the page.
      </p>
    );
  }
  if (loaded.status === "loading") return <p className="loading">Loading…</p>;
  const DashboardScreen = loaded.value;
  return <DashboardScreen />;
}
