// The route table: every page path of the web app contract, one screen folder each.
// Screens load on demand so the first load carries only the shell and the screen shown; the
// activity view, where the app lands, comes with the shell: a lazy screen shows a fallback
// first, and React then holds the screen back for 300 ms (its Suspense reveal throttle), so
// a lazy /events painted its first row ~300 ms later (docs/benchmarks.md, first load).

import { lazy, Suspense, type ReactNode } from "react";
import { Route, Routes } from "react-router";

import DashboardRoute from "./screens/dashboard/DashboardRoute";
import EventsScreen from "./screens/events/EventsScreen";
import { NotFoundScreen } from "./screens/not-found/NotFoundScreen";
import { AppShell } from "./screens/shell/AppShell";

const LoginScreen = lazy(() => import("./screens/login/LoginScreen"));
const SetupScreen = lazy(() => import("./screens/setup/SetupScreen"));
const HomeScreen = lazy(() => import("./screens/home/HomeScreen"));
const EventScreen = lazy(() => import("./screens/event/EventScreen"));
const PersonsScreen = lazy(() => import("./screens/persons/PersonsScreen"));
const PersonScreen = lazy(() => import("./screens/persons/PersonScreen"));
const ActionsScreen = lazy(() => import("./screens/actions/ActionsScreen"));
const ActionEditScreen = lazy(() => import("./screens/actions/ActionEditScreen"));
const IngestionWarningsScreen = lazy(
  () => import("./screens/ingestion-warnings/IngestionWarningsScreen"),
);
const SettingsScreen = lazy(() => import("./screens/settings/SettingsScreen"));
const SqlScreen = lazy(() => import("./screens/sql/SqlScreen"));
const InsightsListScreen = lazy(() => import("./screens/insights-list/InsightsListScreen"));
const DashboardsScreen = lazy(() => import("./screens/dashboards/DashboardsScreen"));
const DataManagementScreen = lazy(() => import("./screens/data-management/DataManagementScreen"));
const InsightScreen = lazy(() => import("./screens/insight/InsightScreen"));
const WebScreen = lazy(() => import("./screens/web/WebScreen"));

function screen(element: ReactNode): ReactNode {
  return <Suspense fallback={<p className="loading">Loading…</p>}>{element}</Suspense>;
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
        <Route path="persons" element={screen(<PersonsScreen />)} />
        <Route path="persons/:id" element={screen(<PersonScreen />)} />
        <Route path="actions" element={screen(<ActionsScreen />)} />
        <Route path="actions/new" element={screen(<ActionEditScreen />)} />
        <Route path="actions/:id" element={screen(<ActionEditScreen />)} />
        <Route path="data-management/*" element={screen(<DataManagementScreen />)} />
        <Route path="insights" element={screen(<InsightsListScreen />)} />
        <Route path="dashboards" element={screen(<DashboardsScreen />)} />
        <Route path="dashboard/:id" element={<DashboardRoute />} />
        <Route path="insights/new" element={screen(<InsightScreen />)} />
        <Route path="insights/:shortId" element={screen(<InsightScreen />)} />
        <Route path="web" element={screen(<WebScreen />)} />
        <Route path="sql" element={screen(<SqlScreen />)} />
        <Route path="ingestion-warnings" element={screen(<IngestionWarningsScreen />)} />
        <Route path="settings" element={screen(<SettingsScreen />)} />
        <Route path="*" element={<NotFoundScreen />} />
      </Route>
    </Routes>
  );
}
