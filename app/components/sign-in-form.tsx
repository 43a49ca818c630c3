"use client";

import { useTranslations } from "next-intl";
import { type FormEvent, useEffect, useId, useState } from "react";
import { sessionChangeSchema, sessionStateSchema } from "@/lib/model/session";
import { apiFetch } from "./api";
import { ApiError } from "./api-error";
import { useErrorText } from "./error-text";

/**
 * Exchanges the API token for a session cookie (`POST /api/session`), then
 * loads `next` with a full navigation so the server renders it signed in.
 * The token is sent once and kept nowhere in the browser.
 */
export function SignInForm({ next }: { next: string }) {
  const t = useTranslations("signIn");
  const describeError = useErrorText();
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
      setError(t("enterToken"));
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
      setError(caught instanceof ApiError && caught.status === 401 ? t("wrongToken") : describeError(caught));
    }
  }

  return (
    <form className="card sign-in" onSubmit={submit} noValidate>
      <h1 className="sign-in-title">{t("title")}</h1>
      <p className="muted">{t("text")}</p>
      <div className="field">
        <label className="field-label" htmlFor={inputId}>
          {t("token")}
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
        {submitting ? t("signingIn") : t("submit")}
      </button>
    </form>
  );
}
