/**
 * Delay before reconnect attempt `attempt` (0-based): 1 s, 2 s, 4 s … capped
 * at 30 s, with ±20 % jitter so many tabs don't hammer a recovering server in
 * step.
 */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1_000 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * random()));
}
