import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";

import { CopyButton } from "../../components/CopyButton";
import { api, ApiError, projectPath } from "../../lib/api";
import type { Project } from "../../lib/types";
import { useProject } from "../shell/project";
import { browserTimeZones, projectChanges, timeZoneChoices, type ProjectChanges } from "./timezones";

/** The current project: its name and time zone (saved by PATCH), its token and id. */
export function ProjectSection() {
  const { project } = useProject();
  const queryClient = useQueryClient();
  const [name, setName] = useState(project.name);
  const [timezone, setTimezone] = useState(project.timezone);
  const [nameError, setNameError] = useState<string | null>(null);
  const zones = useMemo(() => timeZoneChoices(browserTimeZones(), project.timezone), [project]);

  const save = useMutation({
    mutationFn: (changes: ProjectChanges) =>
      api<Project>(projectPath(project.id, ""), { method: "PATCH", body: changes }),
    onSuccess: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ["me"] }),
        queryClient.invalidateQueries({ queryKey: ["projects"] }),
        queryClient.invalidateQueries({ queryKey: ["activity_log"] }),
      ]);
    },
  });
  const failure = save.error instanceof ApiError ? save.error : null;
  const zoneError = failure?.code === "invalid_timezone" ? failure.message : null;
  const shownNameError =
    nameError ?? (failure && failure.code !== "invalid_timezone" ? failure.message : null);

  function submit(event: FormEvent) {
    event.preventDefault();
    save.reset();
    const outcome = projectChanges(project, { name, timezone });
    if ("nameError" in outcome) {
      setNameError(outcome.nameError);
      return;
    }
    setNameError(null);
    save.mutate(outcome.changes);
  }

  return (
    <section aria-labelledby="settings-project">
      <h2 id="settings-project">Project</h2>
      <form className="settings-form" onSubmit={submit} noValidate>
        <div className="field-group">
          <label className="field">
            <span>Project name</span>
            <input
              value={name}
              maxLength={200}
              onChange={(event) => setName(event.target.value)}
              aria-invalid={shownNameError ? true : undefined}
              aria-describedby={shownNameError ? "project-name-error" : undefined}
            />
          </label>
          {shownNameError && (
            <p id="project-name-error" role="alert" className="error">
              {shownNameError}
            </p>
          )}
        </div>
        <div className="field-group">
          <label className="field">
            <span>Time zone</span>
            <select
              value={timezone}
              onChange={(event) => setTimezone(event.target.value)}
              aria-invalid={zoneError ? true : undefined}
              aria-describedby={zoneError ? "project-zone-error" : "project-zone-help"}
            >
              {zones.map((zone) => (
                <option key={zone} value={zone}>
                  {zone}
                </option>
              ))}
            </select>
          </label>
          <p id="project-zone-help" className="muted">
            Trends and the ingestion warnings count days on this clock.
          </p>
          {zoneError && (
            <p id="project-zone-error" role="alert" className="error">
              {zoneError}
            </p>
          )}
        </div>
        <div className="form-actions">
          <button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save project"}
          </button>
          <span aria-live="polite" className="muted">
            {save.isSuccess && "Saved."}
          </span>
        </div>
      </form>
      <dl className="settings-facts">
        <dt>Project token</dt>
        <dd>
          <code className="secret" aria-label="Project token">
            {project.api_token}
          </code>{" "}
          <CopyButton text={project.api_token} label="Copy the project token" />
          <p className="muted">
            SDKs send events with it; it is safe in a web page (it can only send).
          </p>
        </dd>
        <dt>Project ID</dt>
        <dd>
          <code aria-label="Project ID">{project.id}</code>
          <p className="muted">API paths name it: /api/projects/{project.id}/…</p>
        </dd>
      </dl>
    </section>
  );
}
