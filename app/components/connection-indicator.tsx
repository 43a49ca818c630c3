"use client";

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
  state: ConnectionState,
  seconds: number | null,
): { tone: string; label: string; detail: string } {
  const retry = seconds !== null && seconds > 0 ? `retrying in ${seconds} s` : "retrying now";
  switch (state.kind) {
    case "connecting":
      return { tone: "pending", label: "Connecting", detail: "Opening the live stream." };
    case "live":
      return { tone: "live", label: "Live", detail: "Receiving updates as they happen." };
    case "reconnecting":
      return { tone: "pending", label: "Reconnecting", detail: `The stream was interrupted; ${retry}.` };
    case "unreachable":
      return state.offline
        ? {
            tone: "down",
            label: "Offline",
            detail: "This device is offline. The stream resumes when it is back.",
          }
        : { tone: "down", label: "Server unreachable", detail: `The server can't be reached; ${retry}.` };
    case "finished":
      return { tone: "done", label: "Finished", detail: "The task is over; everything has been received." };
    case "gone":
      return { tone: "down", label: "Unavailable", detail: state.message };
  }
}

/** Live / reconnecting / finished, announced politely to screen readers. */
export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  const target =
    state.kind === "reconnecting" || state.kind === "unreachable" ? (state.retryAt ?? null) : null;
  const seconds = useCountdown(target);
  const { tone, label, detail } = describe(state, seconds);
  return (
    <span className={`connection connection-${tone}`} data-connection={state.kind} title={detail}>
      <span className="connection-dot" aria-hidden="true" />
      <span className="connection-label" role="status" aria-live="polite">
        {label}
        {(state.kind === "reconnecting" || state.kind === "unreachable") &&
        seconds !== null &&
        seconds > 0 ? (
          <span className="connection-countdown"> · {seconds}s</span>
        ) : null}
      </span>
    </span>
  );
}

export { describe as describeConnection };
