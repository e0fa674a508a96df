import { useState } from "react";
import { NavLink } from "react-router";

import { ApiError, signOutOfSession } from "../../lib/api";
import { useProject } from "./project";

const SCREENS: [string, string][] = [
  ["/events", "Activity"],
  ["/persons", "Persons"],
  ["/actions", "Actions"],
  ["/data-management", "Data management"],
  ["/sql", "SQL"],
  ["/ingestion-warnings", "Ingestion warnings"],
  ["/settings", "Settings"],
];

export function Sidebar() {
  const { project, projects, email, switchProject } = useProject();
  const [error, setError] = useState<string | null>(null);

  async function signOut() {
    setError(null);
    try {
      await signOutOfSession();
    } catch (failure) {
      // Before accounts exist the route is missing; there is no session to end then.
      if (!(failure instanceof ApiError && failure.status === 404)) {
        setError(failure instanceof Error ? failure.message : String(failure));
        return;
      }
    }
    window.location.assign("/login");
  }

  return (
    <aside className="sidebar">
      <p className="brand">Hedgerow</p>
      <label className="field">
        <span>Project</span>
        <select
          value={project.id}
          onChange={(event) => {
            void switchProject(Number(event.target.value)).catch((failure: Error) =>
              setError(failure.message),
            );
          }}
        >
          {projects.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <nav aria-label="Screens">
        <ul>
          {SCREENS.map(([path, label]) => (
            <li key={path}>
              <NavLink
                to={path}
                className={({ isActive }) => (isActive ? "nav-link active" : "nav-link")}
              >
                {label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <div className="account">
        {email && <p className="email" title={email}>{email}</p>}
        <button type="button" className="secondary" onClick={() => void signOut()}>
          Sign out
        </button>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
      </div>
    </aside>
  );
}
