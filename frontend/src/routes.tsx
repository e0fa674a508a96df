// The route table: every page path of the web app contract, one screen folder each.
// Screens load on demand so the first load carries only the shell and the screen shown.

import { lazy, Suspense, type ReactNode } from "react";
import { createBrowserRouter } from "react-router";

import { ComingScreen } from "./screens/coming/ComingScreen";
import { AppShell } from "./screens/shell/AppShell";

const LoginScreen = lazy(() => import("./screens/login/LoginScreen"));
const HomeScreen = lazy(() => import("./screens/home/HomeScreen"));
const EventsScreen = lazy(() => import("./screens/events/EventsScreen"));
const EventScreen = lazy(() => import("./screens/event/EventScreen"));

function screen(element: ReactNode): ReactNode {
  return <Suspense fallback={<p className="loading">Loading…</p>}>{element}</Suspense>;
}

function coming(title: string, what: string): ReactNode {
  return <ComingScreen title={title} what={what} />;
}

export const router = createBrowserRouter([
  { path: "/login", element: screen(<LoginScreen />) },
  {
    path: "/setup",
    element: coming("Set up Hedgerow", "Creating the first account from the setup link"),
  },
  {
    element: <AppShell />,
    children: [
      { index: true, element: screen(<HomeScreen />) },
      { path: "events", element: screen(<EventsScreen />) },
      { path: "events/:uuid", element: screen(<EventScreen />) },
      { path: "persons/*", element: coming("Persons", "Searching persons and their events") },
      { path: "actions/*", element: coming("Actions", "Defining actions with a live preview") },
      {
        path: "data-management/*",
        element: coming("Data management", "Event and property definitions with volumes"),
      },
      { path: "sql", element: coming("SQL", "Writing SQL over events and persons") },
      {
        path: "ingestion-warnings",
        element: coming("Ingestion warnings", "Why events were discarded, with samples"),
      },
      { path: "settings", element: coming("Settings", "The project, its snippets and API keys") },
      { path: "*", element: coming("Page not found", "") },
    ],
  },
]);
