"use client";

import { type FormEvent, useEffect, useId, useState } from "react";
import { sessionChangeSchema, sessionStateSchema } from "@/lib/model/session";
import { apiFetch, describeError } from "./api";
import { ApiError } from "./api-error";

/**
 * Exchanges the API token for a session cookie (`POST /api/session`), then
 * loads `next` with a full navigation so the server renders it signed in.
 * The token is sent once and kept nowhere in the browser.
 */
export function SignInForm({ next }: { next: string }) {
  const inputId = useId();
  const errorId = useId();
  const [token, setToken] = useState("");
  const [error, setError] = useState("");
  const [submitting, setSubmitting] = useState(false);

  // The cookie is SameSite=Strict, so a page opened from a link on another
  // site arrives without it and is sent here. This same-origin request does
  // carry it: if it is valid, go on without asking for the token again.
  useEffect(() => {
    const controller = new AbortController();
    apiFetch("/api/session", sessionStateSchema, { signal: controller.signal })
      .then((state) => {
        if (!state.required || state.signedIn) window.location.replace(next);
      })
      .catch((caught: unknown) => {
        if (!controller.signal.aborted) console.warn("Fathom: could not read the session state", caught);
      });
    return () => controller.abort();
  }, [next]);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (token.trim() === "") {
      setError("Enter the API token of this server.");
      return;
    }
    setSubmitting(true);
    setError("");
    try {
      await apiFetch("/api/session", sessionChangeSchema, {
        method: "POST",
        body: JSON.stringify({ token }),
      });
      window.location.assign(next);
    } catch (caught) {
      setSubmitting(false);
      setError(
        caught instanceof ApiError && caught.status === 401
          ? "That is not the API token of this server."
          : describeError(caught),
      );
    }
  }

  return (
    <form className="card sign-in" onSubmit={submit} noValidate>
      <h1 className="sign-in-title">Sign in</h1>
      <p className="muted">
        This Fathom server is protected by an API token. Enter it once: this browser then stays signed in (a
        session cookie) until you sign out or the session expires.
      </p>
      <div className="field">
        <label className="field-label" htmlFor={inputId}>
          API token
        </label>
        <input
          id={inputId}
          name="token"
          type="password"
          className="input"
          autoComplete="current-password"
          value={token}
          onChange={(event) => setToken(event.target.value)}
          aria-invalid={error !== ""}
          aria-describedby={errorId}
        />
      </div>
      <p id={errorId} className="field-error" role="alert" data-testid="sign-in-error">
        {error}
      </p>
      <button type="submit" className="button button-primary" disabled={submitting}>
        {submitting ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
