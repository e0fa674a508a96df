import { SnippetList } from "../../components/SnippetList";
import { useProject } from "../shell/project";
import { ActivitySection } from "./ActivitySection";
import { ApiKeysSection } from "./ApiKeysSection";
import { CookielessSection } from "./CookielessSection";
import { DataSection } from "./DataSection";
import { ProjectSection } from "./ProjectSection";
import { ProjectsSection } from "./ProjectsSection";
import "./settings.css";

/** `/settings`: the current project, its data (usage, retention, redaction), cookieless
 * counting, how to send it events, your keys, the projects, and the project's activity
 * (audit log). */
export default function SettingsScreen() {
  const { project } = useProject();
  return (
    <div className="settings-screen">
      <h1>Settings</h1>
      <nav aria-label="Settings sections" className="settings-toc">
        <a href="#settings-project">Project</a>
        <a href="#settings-data">Data</a>
        <a href="#settings-cookieless">Cookieless counting</a>
        <a href="#settings-snippets">Snippets</a>
        <a href="#settings-keys">Personal API keys</a>
        <a href="#settings-projects">Projects</a>
        <a href="#settings-activity">Activity</a>
      </nav>
      {/* Keyed by project: a switch starts the form afresh from the new project. */}
      <ProjectSection key={project.id} />
      <DataSection key={`data-${project.id}`} />
      <CookielessSection key={`cookieless-${project.id}`} />
      <section aria-labelledby="settings-snippets">
        <h2 id="settings-snippets">Snippets</h2>
        <p className="muted">
          Send events to {project.name} from a website or a server. This server's address and
          the project token are filled in.
        </p>
        <SnippetList token={project.api_token} headingLevel={3} />
      </section>
      <ApiKeysSection />
      <ProjectsSection />
      <ActivitySection key={`activity-${project.id}`} />
    </div>
  );
}
