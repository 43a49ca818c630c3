import { createHmac } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import {
  nextWebhookAttempt,
  SIGNATURE_HEADER,
  signatureHeader,
  verifyWebhook,
  webhookHeaders,
  webhookRetryDelayMs,
} from "./webhook-signature";

const secret = "whsec_test_0123456789";
const body = JSON.stringify({ type: "task.finished", taskId: "0".repeat(32), run: 1 });
const now = Date.UTC(2026, 4, 1, 12);

describe("webhook signatures", () => {
  it("signs `<t>.<raw body>` with HMAC-SHA256, as a receiver recomputes it", () => {
    const header = signatureHeader(body, secret, now);
    const t = Math.floor(now / 1000);
    const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest("hex");
    expect(header).toBe(`t=${t},v1=${expected}`);
    expect(webhookHeaders(body, "f".repeat(32), secret, now)[SIGNATURE_HEADER]).toBe(header);
    expect(webhookHeaders(body, "f".repeat(32), undefined, now)[SIGNATURE_HEADER]).toBeUndefined();
  });

  it("verifies a fresh signature and refuses a changed body, another secret, an old timestamp or junk", () => {
    const header = signatureHeader(body, secret, now);
    expect(verifyWebhook(body, header, secret, 300, now + 10_000)).toEqual({
      ok: true,
      timestampS: now / 1000,
    });
    expect(verifyWebhook(`${body} `, header, secret, 300, now)).toEqual({ ok: false, reason: "mismatch" });
    expect(verifyWebhook(body, header, "other-secret", 300, now)).toEqual({ ok: false, reason: "mismatch" });
    expect(verifyWebhook(body, header, secret, 300, now + 301_000)).toEqual({ ok: false, reason: "stale" });
    expect(verifyWebhook(body, header, secret, 300, now - 301_000)).toEqual({ ok: false, reason: "stale" });
    for (const junk of [undefined, "", "t=abc,v1=00", "v1=00", `t=${now / 1000}`, "nonsense"]) {
      expect(verifyWebhook(body, junk, secret, 300, now)).toEqual({ ok: false, reason: "malformed" });
    }
    expect(verifyWebhook(body, `t=${now / 1000},v1=zz`, secret, 300, now)).toEqual({
      ok: false,
      reason: "mismatch",
    });
  });

  it("accepts any of several v1 signatures (a rotated secret)", () => {
    const header = signatureHeader(body, secret, now);
    const other = signatureHeader(body, "old-secret", now).split(",")[1];
    expect(verifyWebhook(body, `${header},${other}`, secret, 300, now).ok).toBe(true);
  });
});

describe("webhook retries", () => {
  const options = { baseS: 10, maxAgeHours: 24 };

  it("waits the base first, then doubles, with up to a quarter more of jitter, capped at an hour", () => {
    expect(webhookRetryDelayMs(1, { ...options, random: () => 0 })).toBe(10_000);
    expect(webhookRetryDelayMs(1, { ...options, random: () => 0.999 })).toBeLessThan(12_500);
    expect(webhookRetryDelayMs(2, { ...options, random: () => 0 })).toBe(20_000);
    expect(webhookRetryDelayMs(5, { ...options, random: () => 0 })).toBe(160_000);
    expect(webhookRetryDelayMs(30, { ...options, random: () => 0 })).toBe(3_600_000);
  });

  it("keeps retrying for a day after the delivery was created, then gives up", () => {
    const created = now;
    let at = now;
    let attempts = 1;
    for (;;) {
      const next = nextWebhookAttempt(attempts, created, at, { ...options, random: () => 0.5 });
      if (!next) break;
      at = next.getTime();
      attempts += 1;
    }
    expect(at - created).toBeLessThanOrEqual(24 * 3_600_000);
    expect(at - created).toBeGreaterThan(22 * 3_600_000);
    expect(attempts).toBeGreaterThan(20);
    expect(attempts).toBeLessThan(40);
  });
});

describe("the README's verification example", () => {
  it("is at most ten lines, accepts what the server signs and refuses a changed body, a wrong secret or a stale time", async () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    const block = [...readme.matchAll(/```js\n([\s\S]*?)\n```/g)]
      .map((match) => match[1]!)
      .find((code) => code.includes("verifyFathom"));
    expect(block).toBeDefined();
    expect(block!.trimEnd().split("\n").length).toBeLessThanOrEqual(10);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fathom-readme-")), "verify.mjs");
    fs.writeFileSync(file, block!);
    const { verifyFathom } = (await import(pathToFileURL(file).href)) as {
      verifyFathom: (rawBody: string, header: string | null, secret: string, toleranceS?: number) => boolean;
    };
    const header = signatureHeader(body, secret, Date.now());
    expect(verifyFathom(body, header, secret)).toBe(true);
    expect(verifyFathom(`${body} `, header, secret)).toBe(false);
    expect(verifyFathom(body, header, `${secret}x`)).toBe(false);
    expect(verifyFathom(body, signatureHeader(body, secret, Date.now() - 600_000), secret)).toBe(false);
    expect(verifyFathom(body, null, secret)).toBe(false);
  });
});
