import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { api } from "../../lib/api";
import type { Project } from "../../lib/types";
import { useProject } from "../shell/project";

/** The organization's projects: switch between them, or make a new one (with its own
 * token) and switch to it. */
export function ProjectsSection() {
  const { project: current, projects, switchProject } = useProject();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [nameError, setNameError] = useState<string | null>(null);
  const [switchError, setSwitchError] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (newName: string) =>
      api<Project>("/api/projects/", { method: "POST", body: { name: newName } }),
    onSuccess: async (created) => {
      setName("");
      await queryClient.invalidateQueries({ queryKey: ["projects"] });
      await switchProject(created.id);
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.reset();
    if (!name.trim()) {
      setNameError("A project needs a name.");
      return;
    }
    setNameError(null);
    create.mutate(name.trim());
  }

  function switchTo(id: number) {
    setSwitchError(null);
    switchProject(id).catch((failure: Error) => setSwitchError(failure.message));
  }

  const shownError = nameError ?? create.error?.message ?? null;
  return (
    <section aria-labelledby="settings-projects">
      <h2 id="settings-projects">Projects</h2>
      <p className="muted">
        Each project has its own token and its own events, persons and actions; nothing of one
        project shows in another.
      </p>
      <table className="settings-table">
        <caption className="visually-hidden">The projects of your organization</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">ID</th>
            <th scope="col">Time zone</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {projects.map((p) => (
            <tr key={p.id} aria-current={p.id === current.id ? "true" : undefined}>
              <td className="project-name">{p.name}</td>
              <td>{p.id}</td>
              <td>{p.timezone}</td>
              <td>
                {p.id === current.id ? (
                  <span className="muted">Current project</span>
                ) : (
                  <button
                    type="button"
                    className="secondary"
                    aria-label={`Switch to ${p.name}`}
                    onClick={() => switchTo(p.id)}
                  >
                    Switch to
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {switchError && (
        <p role="alert" className="error">
          {switchError}
        </p>
      )}
      <form className="inline-form" onSubmit={submit} noValidate>
        <label className="field">
          <span>New project name</span>
          <input
            value={name}
            maxLength={200}
            onChange={(event) => setName(event.target.value)}
            aria-invalid={shownError ? true : undefined}
            aria-describedby={shownError ? "new-project-error" : undefined}
          />
        </label>
        <button type="submit" disabled={create.isPending}>
          Create project
        </button>
      </form>
      {shownError && (
        <p id="new-project-error" role="alert" className="error">
          {shownError}
        </p>
      )}
    </section>
  );
}
