import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { api, ApiError, projectPath } from "../../lib/api";
import type { CookielessMode, Project } from "../../lib/types";
import { useProject } from "../shell/project";
import { COOKIELESS_MODES } from "./cookieless";

/** Cookieless counting: PostHog's `cookieless_server_hash_mode` (docs/web-analytics.md). */
export function CookielessSection() {
  const { project } = useProject();
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<CookielessMode>(project.cookieless_server_hash_mode ?? 0);

  const save = useMutation({
    mutationFn: (value: CookielessMode) =>
      api<Project>(projectPath(project.id, ""), { method: "PATCH", body: { cookieless_server_hash_mode: value } }),
    onSuccess: async () => {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: ["me"] }),
        queryClient.invalidateQueries({ queryKey: ["projects"] }),
      ]);
    },
  });
  const failure = save.error instanceof ApiError ? save.error.message : save.error?.message;

  function submit(event: FormEvent) {
    event.preventDefault();
    save.reset();
    save.mutate(mode);
  }

  return (
    <section aria-labelledby="settings-cookieless">
      <h2 id="settings-cookieless">Cookieless counting</h2>
      <p className="muted">
        For sites that send events with <code>cookieless_mode</code> (posthog-js or hedgerow.js): the browser stores
        nothing, and the server counts visitors by a hash of a secret salt with the IP address, the site and the
        browser&apos;s user agent. The salt changes every day and is then destroyed; the IP address and user agent are
        not stored.
      </p>
      <form className="settings-form cookieless-form" onSubmit={submit}>
        <fieldset aria-describedby="cookieless-meaning">
          <legend>Cookieless server hash mode</legend>
          {COOKIELESS_MODES.map((choice) => (
            <label key={choice.value} className="cookieless-choice">
              <input
                type="radio"
                name="cookieless-mode"
                value={choice.value}
                checked={mode === choice.value}
                onChange={() => setMode(choice.value)}
              />
              <span>
                <strong>{choice.label}</strong> <span className="muted">{choice.help}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <p id="cookieless-meaning" className="cookieless-meaning">
          What a cookieless visitor is: one browser at one IP address on one day. The same person counts again the
          next day, so unique visitors over a week come close to the sum of the daily counts, not the number of
          people; people sharing an IP address and browser version count once. Retention and returning visitors do not
          apply to them.
        </p>
        {failure && (
          <p role="alert" className="error">
            Could not save: {failure}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save cookieless mode"}
          </button>
          <span aria-live="polite" className="muted">
            {save.isSuccess && "Saved."}
          </span>
        </div>
      </form>
    </section>
  );
}
