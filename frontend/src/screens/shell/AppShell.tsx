import { Outlet } from "react-router";

import { ProjectProvider } from "./project";
import { Sidebar } from "./Sidebar";

/** Every signed-in page: the sidebar and the screen beside it. */
export function AppShell() {
  return (
    <ProjectProvider>
      <div className="shell">
        <Sidebar />
        <main className="screen" id="main">
          <Outlet />
        </main>
      </div>
    </ProjectProvider>
  );
}
