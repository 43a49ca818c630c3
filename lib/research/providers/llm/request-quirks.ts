import { ProviderError } from "../provider-http";

/**
 * Request fields a server refused, learned per endpoint and model: some
 * OpenAI-style servers answer 400 to `stream_options` (asked for to get
 * usage while streaming) or to `temperature` (reasoning models). The request
 * is then sent without the field, for the rest of this process.
 */
export interface RequestQuirks {
  /** Leave `stream_options` out (no usage while streaming). */
  noStreamOptions: boolean;
  /** Leave `temperature` out. */
  noTemperature: boolean;
}

const learned = new Map<string, RequestQuirks>();

/** The quirks learned of an endpoint (the same object every time, so what is learned sticks). */
export function requestQuirks(endpoint: string): RequestQuirks {
  let quirks = learned.get(endpoint);
  if (!quirks) {
    quirks = { noStreamOptions: false, noTemperature: false };
    learned.set(endpoint, quirks);
  }
  return quirks;
}

/** Forgets what servers refused (tests). */
export function forgetRequestQuirks(): void {
  learned.clear();
}

const REFUSED =
  /unsupported|not supported|unknown|unrecognized|unexpected|not allowed|invalid|extra (fields|inputs)|does not support/i;

/**
 * Learns from a refusal: true when `error` is a 400 that names a field this
 * endpoint can do without (then the call is worth repeating without it).
 */
export function learnQuirk(quirks: RequestQuirks, error: unknown): boolean {
  if (!(error instanceof ProviderError) || (error.status !== 400 && error.status !== 422)) return false;
  if (!REFUSED.test(error.message)) return false;
  if (!quirks.noStreamOptions && /stream_options|include_usage/i.test(error.message)) {
    quirks.noStreamOptions = true;
    return true;
  }
  if (!quirks.noTemperature && /temperature/i.test(error.message)) {
    quirks.noTemperature = true;
    return true;
  }
  return false;
}

/** A fetch that leaves out of each JSON request body the fields the endpoint refused. */
export function adaptedFetch(fetch: typeof globalThis.fetch, quirks: RequestQuirks): typeof globalThis.fetch {
  return (input, init) => {
    if ((!quirks.noStreamOptions && !quirks.noTemperature) || typeof init?.body !== "string") {
      return fetch(input, init);
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(init.body) as Record<string, unknown>;
    } catch {
      return fetch(input, init);
    }
    if (quirks.noStreamOptions) delete body.stream_options;
    if (quirks.noTemperature) delete body.temperature;
    return fetch(input, { ...init, body: JSON.stringify(body) });
  };
}
