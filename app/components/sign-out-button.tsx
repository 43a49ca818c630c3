"use client";

import { useTranslations } from "next-intl";
import { useState } from "react";
import { sessionChangeSchema } from "@/lib/model/session";
import { apiFetch } from "./api";

/** Deletes the session cookie (`DELETE /api/session`) and goes to the sign-in page. */
export function SignOutButton() {
  const t = useTranslations("nav");
  const [busy, setBusy] = useState(false);
  async function signOut() {
    setBusy(true);
    try {
      await apiFetch("/api/session", sessionChangeSchema, { method: "DELETE" });
    } catch (error) {
      // The sign-in page shows whether the session is still there; nothing else to do here.
      console.warn("Fathom: sign-out failed", error);
    }
    window.location.assign("/signin");
  }
  return (
    <button type="button" className="nav-link nav-button" onClick={signOut} disabled={busy}>
      {t("signOut")}
    </button>
  );
}
