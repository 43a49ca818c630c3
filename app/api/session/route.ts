import {
  clearedSessionCookie,
  hasValidSession,
  isApiToken,
  isHttpsRequest,
  sessionCookie,
} from "@/app/_lib/access";
import { clientAddress } from "@/app/_lib/client-address";
import { FailureLimiter } from "@/lib/auth/failure-limiter";
import { getConfig } from "@/lib/config";
import { AppError } from "@/lib/errors";
import { signInSchema } from "@/lib/model/session";
import { sleep } from "@/lib/sleep";
import { json, otherMethods, preflight, readJson, route } from "../_lib/http";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

/** Failed sign-ins allowed per client address per window. */
const MAX_FAILURES = 10;
const FAILURE_WINDOW_MS = 15 * 60_000;
/** Every wrong token waits this long: serial guessing gets slow, a person does not notice. */
const FAILURE_DELAY_MS = 300;

// On globalThis: Next.js may load this module more than once in one process.
const limiterKey = Symbol.for("fathom.signInLimiter");
type LimiterHolder = { [limiterKey]?: FailureLimiter };

function limiter(): FailureLimiter {
  const holder = globalThis as LimiterHolder;
  holder[limiterKey] ??= new FailureLimiter({
    maxFailures: MAX_FAILURES,
    windowMs: FAILURE_WINDOW_MS,
    now: () => performance.now(),
  });
  return holder[limiterKey];
}

/** Whether this server asks for sign-in, and whether this browser is signed in. */
export const GET = route(
  async (request, _context, requestId) => {
    const config = getConfig();
    const required = config.FATHOM_API_TOKEN !== undefined;
    return json(
      { required, signedIn: required && hasValidSession(request.headers, config) },
      200,
      requestId,
      request,
    );
  },
  { public: true },
);

/**
 * Sign-in: `{ token }` is exchanged for the session cookie. Like every POST it
 * is refused cross-site (no page elsewhere can sign a browser in to its own
 * choice of session), and wrong tokens are limited per client address.
 */
export const POST = route(
  async (request, _context, requestId) => {
    const config = getConfig();
    if (!config.FATHOM_API_TOKEN) {
      throw new AppError(
        "invalid_request",
        "This server has no API token (FATHOM_API_TOKEN): there is nothing to sign in to.",
      );
    }
    const client = clientAddress(request);
    const waitSeconds = limiter().retryAfterSeconds(client);
    if (waitSeconds > 0) {
      throw new AppError(
        "rate_limited",
        `Too many wrong tokens from this address: try again in ${waitSeconds} s.`,
        { retryAfterSeconds: waitSeconds },
      );
    }
    const { token } = await readJson(request, signInSchema);
    if (!isApiToken(token, config)) {
      limiter().fail(client);
      await sleep(FAILURE_DELAY_MS);
      throw new AppError("unauthorized", "Wrong API token: sign-in refused. Check FATHOM_API_TOKEN.");
    }
    limiter().succeed(client);
    const cookie = sessionCookie(config, isHttpsRequest(request, config));
    return json({ signedIn: true, expiresAt: cookie.expiresAt.toISOString() }, 200, requestId, request, {
      "Set-Cookie": cookie.header,
    });
  },
  { public: true },
);

/** Sign-out: deletes the session cookie from this browser. */
export const DELETE = route(
  async (request, _context, requestId) => {
    const config = getConfig();
    return json({ signedIn: false }, 200, requestId, request, {
      "Set-Cookie": clearedSessionCookie(isHttpsRequest(request, config)),
    });
  },
  { public: true },
);

export const OPTIONS = async (request: Request) => preflight(request);

export const { PUT, PATCH } = otherMethods("GET, POST, DELETE, OPTIONS");
