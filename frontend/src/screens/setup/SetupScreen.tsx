import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";

import { api } from "../../lib/api";

// The first account, from the one-time link the server prints while no user exists.
export default function SetupScreen() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function createAccount(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await api("/api/setup/", {
        method: "POST",
        body: { token, email: form.get("email"), password: form.get("password") },
        allowUnauthenticated: true,
      });
      window.location.assign("/"); // signed in: a full load starts the app afresh
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form className="card" onSubmit={(event) => void createAccount(event)}>
        <h1>Set up Hedgerow</h1>
        <p>Create the first account. The setup link works once.</p>
        <label className="field">
          <span>Email</span>
          <input name="email" type="email" autoComplete="username" required autoFocus />
        </label>
        <label className="field">
          <span>Password (8 characters or more)</span>
          <input
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={8}
            required
          />
        </label>
        {!token && (
          <p role="alert" className="error">
            This page needs the setup link the server printed when it started.
          </p>
        )}
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || !token}>
          {busy ? "Creating…" : "Create account"}
        </button>
      </form>
    </main>
  );
}
