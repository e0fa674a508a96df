// The route table: every page path of the web app contract, one screen folder each.
// Screens load on demand so the first load carries only the shell and the screen shown.

import { lazy, Suspense, type ReactNode } from "react";
import { Route, Routes } from "react-router";

import { ComingScreen } from "./screens/coming/ComingScreen";
import { AppShell } from "./screens/shell/AppShell";

const LoginScreen = lazy(() => import("./screens/login/LoginScreen"));
const SetupScreen = lazy(() => import("./screens/setup/SetupScreen"));
const HomeScreen = lazy(() => import("./screens/home/HomeScreen"));
const EventsScreen = lazy(() => import("./screens/events/EventsScreen"));
const EventScreen = lazy(() => import("./screens/event/EventScreen"));
const SqlScreen = lazy(() => import("./screens/sql/SqlScreen"));
const DataManagementScreen = lazy(() => import("./screens/data-management/DataManagementScreen"));

function screen(element: ReactNode): ReactNode {
  return <Suspense fallback={<p className="loading">Loading…</p>}>{element}</Suspense>;
}

function coming(title: string, what: string): ReactNode {
  return <ComingScreen title={title} what={what} />;
}

export function AppRoutes() {
  return (
    <Routes>
      <Route path="/login" element={screen(<LoginScreen />)} />
      <Route path="/setup" element={screen(<SetupScreen />)} />
      <Route element={<AppShell />}>
        <Route index element={screen(<HomeScreen />)} />
        <Route path="events" element={screen(<EventsScreen />)} />
        <Route path="events/:uuid" element={screen(<EventScreen />)} />
        <Route path="persons/*" element={coming("Persons", "Searching persons and their events")} />
        <Route path="actions/*" element={coming("Actions", "Defining actions with a live preview")} />
        <Route path="data-management/*" element={screen(<DataManagementScreen />)} />
        <Route path="sql" element={screen(<SqlScreen />)} />
        <Route
          path="ingestion-warnings"
          element={coming("Ingestion warnings", "Why events were discarded, with samples")}
        />
        <Route
          path="settings"
          element={coming("Settings", "The project, its snippets and API keys")}
        />
        <Route path="*" element={coming("Page not found", "")} />
      </Route>
    </Routes>
  );
}
