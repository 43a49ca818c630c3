"use client";

import { useTranslations } from "next-intl";
import { useEffect, useState } from "react";
import type { ConnectionState } from "./connection-state";

function useCountdown(target: number | null): number | null {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (target === null) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [target]);
  if (target === null) return null;
  return Math.max(0, Math.ceil((target - now) / 1000));
}

function describe(
  t: ReturnType<typeof useTranslations<"connection">>,
  state: ConnectionState,
  seconds: number | null,
): { tone: string; label: string; detail: string } {
  const retry = seconds !== null && seconds > 0 ? t("retryIn", { seconds }) : t("retryNow");
  switch (state.kind) {
    case "connecting":
      return { tone: "pending", label: t("connecting"), detail: t("connectingDetail") };
    case "live":
      return { tone: "live", label: t("live"), detail: t("liveDetail") };
    case "reconnecting":
      return { tone: "pending", label: t("reconnecting"), detail: t("reconnectingDetail", { retry }) };
    case "unreachable":
      return state.offline
        ? { tone: "down", label: t("offline"), detail: t("offlineDetail") }
        : { tone: "down", label: t("unreachable"), detail: t("unreachableDetail", { retry }) };
    case "finished":
      return { tone: "done", label: t("finished"), detail: t("finishedDetail") };
    case "gone":
      return { tone: "down", label: t("gone"), detail: state.expired ? t("goneExpired") : state.message };
  }
}

/** Live / reconnecting / finished, announced politely to screen readers. */
export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  const target =
    state.kind === "reconnecting" || state.kind === "unreachable" ? (state.retryAt ?? null) : null;
  const seconds = useCountdown(target);
  const t = useTranslations("connection");
  const { tone, label, detail } = describe(t, state, seconds);
  return (
    <span className={`connection connection-${tone}`} data-connection={state.kind} title={detail}>
      <span className="connection-dot" aria-hidden="true" />
      <span className="connection-label" role="status" aria-live="polite">
        {label}
        {(state.kind === "reconnecting" || state.kind === "unreachable") &&
        seconds !== null &&
        seconds > 0 ? (
          <span className="connection-countdown">{t("countdown", { seconds })}</span>
        ) : null}
      </span>
    </span>
  );
}

export { describe as describeConnection };
