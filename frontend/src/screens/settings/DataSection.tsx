import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { api, ApiError, projectPath } from "../../lib/api";
import { exactTime } from "../../lib/time";
import type { Project } from "../../lib/types";
import { useProject } from "../shell/project";
import { formatBytes, parseRedacted, parseRetention, retentionText, type DataUsage } from "./dataSettings";

function Usage({ projectId }: { projectId: number }) {
  const usage = useQuery({
    queryKey: ["data-usage", projectId],
    queryFn: ({ signal }) => api<DataUsage>(projectPath(projectId, "data_usage/"), { signal }),
  });
  if (usage.error) return <p role="alert" className="error">Could not read the data usage: {usage.error.message}</p>;
  if (!usage.data) return <p className="loading">Loading…</p>;
  const data = usage.data;
  return (
    <dl className="settings-facts" aria-label="Data stored">
      <dt>Events stored</dt>
      <dd>{data.events.toLocaleString("en-US")}</dd>
      <dt>Persons</dt>
      <dd>{data.persons.toLocaleString("en-US")}</dd>
      <dt>Size on disk</dt>
      <dd>
        {formatBytes(data.event_bytes)}
        <p className="muted">Events, compressed; an estimate from this project's share of the rows.</p>
      </dd>
      <dt>Oldest event</dt>
      <dd>{data.oldest_event ? <time dateTime={data.oldest_event}>{exactTime(data.oldest_event)}</time> : "None stored"}</dd>
      <dt>Retention</dt>
      <dd>
        {retentionText(data.retention_days)}
        {data.retention_last_run_at && (
          <p className="muted">
            Last checked <time dateTime={data.retention_last_run_at}>{exactTime(data.retention_last_run_at)}</time>:{" "}
            {(data.retention_last_deleted ?? 0).toLocaleString("en-US")} events deleted.
          </p>
        )}
      </dd>
    </dl>
  );
}

/** The project's data: what is stored, how long events are kept, what is never stored. */
export function DataSection() {
  const { project } = useProject();
  const queryClient = useQueryClient();
  const [retention, setRetention] = useState(project.retention_days ? String(project.retention_days) : "");
  const [redacted, setRedacted] = useState((project.redacted_properties ?? []).join("\n"));
  const [discardIps, setDiscardIps] = useState(project.anonymize_ips ?? false);
  const [retentionError, setRetentionError] = useState<string | null>(null);

  const save = useMutation({
    mutationFn: (changes: { retention_days: number | null; redacted_properties: string[]; anonymize_ips: boolean }) =>
      api<Project>(projectPath(project.id, ""), { method: "PATCH", body: changes }),
    onSuccess: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ["me"] }),
        queryClient.invalidateQueries({ queryKey: ["projects"] }),
        queryClient.invalidateQueries({ queryKey: ["activity_log"] }),
        queryClient.invalidateQueries({ queryKey: ["data-usage", project.id] }),
      ]);
    },
  });
  const failure = save.error instanceof ApiError ? save.error.message : save.error?.message;

  function submit(event: FormEvent) {
    event.preventDefault();
    save.reset();
    const period = parseRetention(retention);
    if ("error" in period) {
      setRetentionError(period.error);
      return;
    }
    setRetentionError(null);
    save.mutate({
      retention_days: period.days,
      redacted_properties: parseRedacted(redacted),
      anonymize_ips: discardIps,
    });
  }

  return (
    <section aria-labelledby="settings-data">
      <h2 id="settings-data">Data</h2>
      <Usage projectId={project.id} />
      <form className="settings-form data-form" onSubmit={submit} noValidate>
        <div className="field-group">
          <label className="field">
            <span>Keep events for (days)</span>
            <input
              inputMode="numeric"
              value={retention}
              placeholder="For ever"
              onChange={(event) => setRetention(event.target.value)}
              aria-invalid={retentionError ? true : undefined}
              aria-describedby={retentionError ? "retention-error" : "retention-help"}
            />
          </label>
          <p id="retention-help" className="muted">
            Events older than this (by their timestamp) are deleted when you save, then every hour. Leave it empty to
            keep events for ever.
          </p>
          {retentionError && (
            <p id="retention-error" role="alert" className="error">
              {retentionError}
            </p>
          )}
        </div>
        <div className="field-group">
          <label className="field">
            <span>Properties never stored</span>
            <textarea
              rows={3}
              value={redacted}
              placeholder="One name a line, e.g. $ip"
              onChange={(event) => setRedacted(event.target.value)}
              aria-describedby="redacted-help"
            />
          </label>
          <p id="redacted-help" className="muted">
            One property name a line. They are removed from every event and person property before storage, for events
            captured from now on; events and persons already stored keep theirs.
          </p>
        </div>
        <div className="field-group">
          <label className="settings-check">
            <input
              type="checkbox"
              checked={discardIps}
              onChange={(event) => setDiscardIps(event.target.checked)}
              aria-describedby="discard-ips-help"
            />
            <span>Discard client IP data</span>
          </label>
          <p id="discard-ips-help" className="muted">
            The IP address (<code>$ip</code>) is dropped from events captured from now on, after their country and city
            have been looked up from it; events already stored keep theirs.
          </p>
        </div>
        {failure && (
          <p role="alert" className="error">
            Could not save: {failure}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save data settings"}
          </button>
          <span aria-live="polite" className="muted">
            {save.isSuccess && "Saved."}
          </span>
        </div>
      </form>
    </section>
  );
}
