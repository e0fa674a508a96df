import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";

import { api, safeNext } from "../../lib/api";

export default function LoginScreen() {
  const [params] = useSearchParams();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function signIn(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      await api("/api/login/", {
        method: "POST",
        body: { email: form.get("email"), password: form.get("password") },
        allowUnauthenticated: true,
      });
      // A full load, so nothing cached from before the sign-in survives.
      window.location.assign(safeNext(params.get("next")));
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      setBusy(false);
    }
  }

  return (
    <main className="login">
      <form className="card" onSubmit={(event) => void signIn(event)}>
        <h1>Sign in to Hedgerow</h1>
        <label className="field">
          <span>Email</span>
          <input name="email" type="email" autoComplete="username" required autoFocus />
        </label>
        <label className="field">
          <span>Password</span>
          <input name="password" type="password" autoComplete="current-password" required />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
