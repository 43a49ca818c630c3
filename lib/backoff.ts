/** Options of `backoffDelay`. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry, in ms. Default 500. */
  baseMs?: number;
  /** Largest delay, in ms. Default 30 000. */
  maxMs?: number;
  /** Uniform random numbers in [0, 1). Default `Math.random` (tests inject their own). */
  random?: () => number;
}

/**
 * The one backoff of Fathom (model and search calls, step retries, the
 * browser's reconnects): exponential with "equal jitter". Attempt `n`
 * (0-based) waits a random time in [c/2, c], where c = min(maxMs, baseMs·2ⁿ):
 * the delay still grows, and many clients that failed together do not retry
 * in step.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}): number {
  const baseMs = options.baseMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
