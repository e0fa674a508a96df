import { useState } from "react";
import { Link, NavLink, useMatch } from "react-router";

import { ApiError, signOutOfSession } from "../../lib/api";
import { useProject } from "./project";

type NavEntry = [path: string, label: string];

const SCREENS: NavEntry[] = [
  ["/events", "Activity"],
  ["/persons", "Persons"],
  ["/actions", "Actions"],
];
// Grouped under a title of their own; a dashboard's page (/dashboard/<id>) counts as Dashboards.
const PRODUCT_ANALYTICS: NavEntry[] = [
  ["/insights", "Insights"],
  ["/dashboards", "Dashboards"],
];
const MORE_SCREENS: NavEntry[] = [
  ["/web", "Web analytics"],
  ["/data-management", "Data management"],
  ["/sql", "SQL"],
  ["/ingestion-warnings", "Ingestion warnings"],
  ["/settings", "Settings"],
];

function NavItem({ path, label, current }: { path: string; label: string; current?: boolean }) {
  // NavLink marks only its own path (and below) as current; `current` marks another page too.
  return (
    <li>
      {current ? (
        <Link to={path} aria-current="page" className="nav-link active">
          {label}
        </Link>
      ) : (
        <NavLink to={path} className={({ isActive }) => (isActive ? "nav-link active" : "nav-link")}>
          {label}
        </NavLink>
      )}
    </li>
  );
}

export function Sidebar() {
  const { project, projects, email, switchProject } = useProject();
  const [error, setError] = useState<string | null>(null);
  const onDashboard = useMatch("/dashboard/:id");

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
            <NavItem key={path} path={path} label={label} />
          ))}
          <li className="nav-group">
            <span className="nav-group-title" id="nav-product-analytics">
              Product analytics
            </span>
            <ul aria-labelledby="nav-product-analytics">
              {PRODUCT_ANALYTICS.map(([path, label]) => (
                <NavItem
                  key={path}
                  path={path}
                  label={label}
                  current={path === "/dashboards" && onDashboard !== null}
                />
              ))}
            </ul>
          </li>
          {MORE_SCREENS.map(([path, label]) => (
            <NavItem key={path} path={path} label={label} />
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
