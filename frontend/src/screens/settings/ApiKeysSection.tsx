import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";

import { api } from "../../lib/api";
import { exactTime, localTime } from "../../lib/time";
import { NewKeyReveal } from "./NewKeyReveal";

export interface PersonalKey {
  id: number;
  label: string;
  mask: string;
  created_at: string;
}

const KEYS = ["personal_api_keys"];

/** The signed-in user's personal API keys: listed by label and mask, made with a label
 * (the value shown once), revoked after a confirmation. */
export function ApiKeysSection() {
  const queryClient = useQueryClient();
  const keys = useQuery({
    queryKey: KEYS,
    queryFn: ({ signal }) => api<{ results: PersonalKey[] }>("/api/personal_api_keys/", { signal }),
  });
  const [label, setLabel] = useState("");
  const [labelError, setLabelError] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (newLabel: string) =>
      api<PersonalKey & { value: string }>("/api/personal_api_keys/", {
        method: "POST",
        body: { label: newLabel },
      }),
    onSuccess: async () => {
      setLabel("");
      await queryClient.invalidateQueries({ queryKey: KEYS });
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    create.reset();
    if (!label.trim()) {
      setLabelError("Give the key a label, such as the script that will use it.");
      return;
    }
    setLabelError(null);
    create.mutate(label.trim());
  }
  const shownError = labelError ?? create.error?.message ?? null;

  return (
    <section aria-labelledby="settings-keys">
      <h2 id="settings-keys">Personal API keys</h2>
      <p className="muted">
        Scripts read this organization's data with a key:{" "}
        <code>Authorization: Bearer &lt;key&gt;</code>. A key sees every project of the
        organization.
      </p>
      {create.data && (
        <NewKeyReveal label={create.data.label} value={create.data.value} onDone={create.reset} />
      )}
      <form className="inline-form" onSubmit={submit} noValidate>
        <label className="field">
          <span>Key label</span>
          <input
            value={label}
            maxLength={200}
            onChange={(event) => setLabel(event.target.value)}
            aria-invalid={shownError ? true : undefined}
            aria-describedby={shownError ? "key-label-error" : undefined}
          />
        </label>
        <button type="submit" disabled={create.isPending}>
          Create key
        </button>
      </form>
      {shownError && (
        <p id="key-label-error" role="alert" className="error">
          {shownError}
        </p>
      )}
      {keys.error && (
        <p role="alert" className="error">
          Could not list the keys: {keys.error.message}
        </p>
      )}
      {keys.data && <KeyTable keys={keys.data.results} />}
    </section>
  );
}

function KeyTable({ keys }: { keys: PersonalKey[] }) {
  if (keys.length === 0) return <p className="muted">You have no personal API keys yet.</p>;
  return (
    <table className="settings-table">
      <caption className="visually-hidden">Your personal API keys</caption>
      <thead>
        <tr>
          <th scope="col">Label</th>
          <th scope="col">Key</th>
          <th scope="col">Created</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {keys.map((key) => (
          <KeyRow key={key.id} personalKey={key} />
        ))}
      </tbody>
    </table>
  );
}

function KeyRow({ personalKey }: { personalKey: PersonalKey }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation({
    mutationFn: () => api(`/api/personal_api_keys/${personalKey.id}/`, { method: "DELETE" }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: KEYS }),
  });
  const { label } = personalKey;
  return (
    <tr>
      <td className="key-label">{label}</td>
      <td>
        <code>{personalKey.mask}</code>
      </td>
      <td>
        <time dateTime={personalKey.created_at} title={exactTime(personalKey.created_at)}>
          {localTime(personalKey.created_at)}
        </time>
      </td>
      <td className="key-actions">
        {confirming ? (
          <span className="confirm" role="group" aria-label={`Revoke ${label}?`}>
            <span>Scripts using it stop working.</span>
            <button
              type="button"
              className="danger"
              disabled={revoke.isPending}
              onClick={() => revoke.mutate()}
            >
              Yes, revoke {label}
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </span>
        ) : (
          <button
            type="button"
            className="secondary"
            aria-label={`Revoke ${label}`}
            onClick={() => setConfirming(true)}
          >
            Revoke
          </button>
        )}
        {revoke.error && (
          <span role="alert" className="error">
            {revoke.error.message}
          </span>
        )}
      </td>
    </tr>
  );
}

