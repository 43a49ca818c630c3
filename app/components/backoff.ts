import { backoffDelay as sharedBackoff } from "@/lib/backoff";

/**
 * Delay before the browser's reconnect attempt `attempt` (0-based): the one
 * backoff of lib/backoff.ts from a 1 s base — about 0.5–1 s, 1–2 s, 2–4 s …
 * up to 30 s — so many tabs don't hammer a recovering server in step.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  return sharedBackoff(attempt, { baseMs: 1000, random });
}
