// The current project and the signed-in user, for every screen inside the shell.
// The server keeps the current project (GET/PATCH /api/users/@me/). Where that route does
// not exist (404), the first project of GET /api/projects/ is current, and a switch is
// remembered in this browser only.

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useState, type ReactNode } from "react";

import { api, ApiError } from "../../lib/api";
import type { CurrentUser, Project } from "../../lib/types";

const LOCAL_CHOICE = "hedgerow.project";

export interface ProjectContext {
  project: Project;
  projects: Project[];
  email: string | null;
  switchProject: (id: number) => Promise<void>;
}

const Context = createContext<ProjectContext | null>(null);

export function useProject(): ProjectContext {
  const value = useContext(Context);
  if (!value) throw new Error("useProject() outside <ProjectProvider>");
  return value;
}

async function currentUser(): Promise<CurrentUser | null> {
  try {
    return await api<CurrentUser>("/api/users/@me/");
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

function storedChoice(): number | null {
  const value = Number(window.localStorage.getItem(LOCAL_CHOICE));
  return Number.isInteger(value) && value > 0 ? value : null;
}

export function ProjectProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [localChoice, setLocalChoice] = useState(storedChoice);
  const me = useQuery({ queryKey: ["me"], queryFn: currentUser, staleTime: Infinity });
  const list = useQuery({
    queryKey: ["projects"],
    queryFn: () => api<{ results: Project[] }>("/api/projects/"),
    staleTime: 60_000,
  });

  const error = me.error ?? list.error;
  if (error) {
    return (
      <p role="alert" className="page-error">
        Could not load your projects: {error.message}
      </p>
    );
  }
  if (!me.isSuccess || !list.data) return <p className="loading">Loading…</p>;

  const projects = me.data?.projects ?? list.data.results;
  const project =
    me.data?.team ??
    projects.find((p) => p.id === localChoice) ??
    projects[0];
  if (!project) {
    return <p className="page-error">This account has no project yet.</p>;
  }

  async function switchProject(id: number): Promise<void> {
    if (me.data) {
      await api("/api/users/@me/", { method: "PATCH", body: { set_current_team: id } });
    } else {
      window.localStorage.setItem(LOCAL_CHOICE, String(id));
      setLocalChoice(id);
    }
    // Nothing of one project may linger on the screen of another: every cached answer is
    // dropped, and the ones on screen (the current user and project first) are asked again.
    // (`clear()` alone would leave the screen as it was: it tells no component.)
    await queryClient.resetQueries();
  }

  const value: ProjectContext = {
    project,
    projects,
    email: me.data?.email ?? null,
    switchProject,
  };
  return <Context.Provider value={value}>{children}</Context.Provider>;
}
