import { Navigate, NavLink, Route, Routes } from "react-router";

import { DefinitionsList } from "./DefinitionsList";
import "./data-management.css";

function tabClass({ isActive }: { isActive: boolean }): string {
  return isActive ? "tab active" : "tab";
}

/** `/data-management/events` and `/data-management/properties`: what the project has sent. */
export default function DataManagementScreen() {
  return (
    <section className="definitions-screen" aria-labelledby="definitions-title">
      <header className="screen-header">
        <h1 id="definitions-title">Data management</h1>
      </header>
      <nav className="tabs" aria-label="Definitions">
        <NavLink to="/data-management/events" className={tabClass}>
          Events
        </NavLink>
        <NavLink to="/data-management/properties" className={tabClass}>
          Properties
        </NavLink>
      </nav>
      <Routes>
        <Route path="events" element={<DefinitionsList key="events" kind="events" />} />
        <Route path="properties" element={<DefinitionsList key="properties" kind="properties" />} />
        <Route path="*" element={<Navigate to="/data-management/events" replace />} />
      </Routes>
    </section>
  );
}
