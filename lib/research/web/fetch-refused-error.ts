/** A URL the page fetcher will not fetch (private address, bad scheme, too many redirects…). */
export class FetchRefusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "FetchRefusedError";
  }
}
