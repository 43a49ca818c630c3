import { describe, expect, it } from "vitest";
import { limitMessage, toApiError } from "./api-error";

const refusal = (status: number, error: Record<string, unknown>, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify({ error }), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });

describe("what a person is told when a limit refuses them", () => {
  it("turns a rate-limit refusal into a sentence with the wait, not the operator's variable", async () => {
    const error = await toApiError(
      refusal(
        429,
        {
          code: "rate_limited",
          message: "Too many new tasks from this client: at most 30 a minute (RATE_LIMIT_TASKS_PER_MINUTE).",
          limit: "RATE_LIMIT_TASKS_PER_MINUTE",
          retryAfterSeconds: 12,
        },
        { "Retry-After": "12" },
      ),
    );
    expect(error.status).toBe(429);
    expect(error.retryAfterSeconds).toBe(12);
    expect(error.message).toMatch(/started a lot of research.*about 12 s/);
    expect(error.message).not.toMatch(/RATE_LIMIT/);
  });

  it("explains a full queue, a full disk and stream caps; takes Retry-After from the header", async () => {
    const queue = await toApiError(
      refusal(503, { code: "overloaded", message: "x", limit: "MAX_QUEUED_TASKS" }, { "Retry-After": "30" }),
    );
    expect(queue.retryAfterSeconds).toBe(30);
    expect(queue.message).toMatch(/busy.*30 s/);
    expect(limitMessage("MAX_STORAGE_MB", 60)).toMatch(/no room for new research/);
    expect(limitMessage("MAX_SSE_CONNECTIONS_PER_CLIENT", 5)).toMatch(/too many Fathom pages/);
    expect(limitMessage("MAX_SSE_CONNECTIONS", 200)).toMatch(/reconnects by itself in about 3 min/);
    expect(limitMessage("SOMETHING_ELSE", 1)).toBeUndefined();
  });

  it("keeps the server's own sentence for other errors, and a sign-in hint for 401", async () => {
    const conflict = await toApiError(
      refusal(409, { code: "conflict", message: "cannot pause: the task is completed" }),
    );
    expect(conflict.message).toBe("Cannot pause: the task is completed.");
    const signedOut = await toApiError(
      refusal(401, { code: "unauthorized", message: "Missing or wrong API token." }),
    );
    expect(signedOut.message).toMatch(/signed out|sign in/i);
  });
});
