import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSessionValue, sessionKey } from "../lib/auth/session-token";
import {
  fillResearchForm,
  hasChromium,
  launchChromium,
  requireChromium,
  waitForReport,
} from "./support/browser";
import { startServer, type TestServer } from "./support/server";

const TOKEN = "sign-in-test-token-0123456789";
const ALLOWED = "https://app.example";

/** `name=value` of the session cookie in a Set-Cookie header. */
function cookieOf(response: Response): { pair: string; header: string } {
  const header = response.headers.get("set-cookie") ?? "";
  return { pair: header.split(";")[0]!, header };
}

async function signIn(
  server: TestServer,
  token: string,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.url}/api/session`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify({ token }),
  });
}

describe("sign-in and the session cookie (HTTP)", () => {
  let server: TestServer;
  let own: string;

  beforeAll(async () => {
    server = await startServer({
      env: { FATHOM_API_TOKEN: TOKEN, CORS_ORIGINS: ALLOWED, SESSION_TTL_HOURS: "2", LOG_LEVEL: "warn" },
    });
    own = server.url;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("exchanges the token for an HttpOnly, SameSite=Strict, expiring cookie; a wrong token gets a clear 401", async () => {
    const wrong = await signIn(server, "not-the-token", { "X-Forwarded-For": "203.0.113.1" });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error).toEqual({
      code: "unauthorized",
      message: "Wrong API token: sign-in refused. Check FATHOM_API_TOKEN.",
    });
    expect(wrong.headers.get("set-cookie")).toBeNull();

    const right = await signIn(server, TOKEN);
    expect(right.status).toBe(200);
    const { header } = cookieOf(right);
    expect(header).toMatch(/^fathom_session=v1\.\d+\.[\w-]+\.[\w-]+;/);
    expect(header).toContain("HttpOnly");
    expect(header).toContain("SameSite=Strict");
    expect(header).toContain("Path=/");
    expect(header).toContain(`Max-Age=${2 * 3600}`);
    expect(header).not.toContain("Secure"); // plain http
    expect(header).not.toContain(TOKEN);
    const body = await right.json();
    expect(Date.parse(body.expiresAt) - Date.now()).toBeGreaterThan(2 * 3600_000 - 60_000);

    // Over https (the page's origin says so) the cookie is Secure.
    const https = await signIn(server, TOKEN, { Origin: own.replace("http://", "https://") });
    expect(https.status).toBe(200);
    expect(cookieOf(https).header).toContain("Secure");
  });

  it("accepts the cookie on API routes and pages; refuses tampered, expired and foreign cookies", async () => {
    const { pair } = cookieOf(await signIn(server, TOKEN));
    const withCookie = await fetch(`${server.url}/api/tasks`, { headers: { Cookie: pair } });
    expect(withCookie.status).toBe(200);
    const page = await fetch(`${server.url}/tasks`, { headers: { Cookie: pair }, redirect: "manual" });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Sign out");
    expect(
      (await fetch(`${server.url}/api/session`, { headers: { Cookie: pair } }).then((r) => r.json()))
        .signedIn,
    ).toBe(true);

    const [name, value] = pair.split("=") as [string, string];
    const [version, expires, nonce, signature] = value.split(".") as [string, string, string, string];
    const expired = createSessionValue({
      key: sessionKey(TOKEN),
      ttlMs: 3600_000,
      now: Date.now() - 2 * 3600_000,
    });
    const foreign = createSessionValue({
      key: sessionKey("another-token"),
      ttlMs: 3600_000,
      now: Date.now(),
    });
    const refused: [string, string][] = [
      ["later expiry", `${version}.${Number(expires) + 86_400}.${nonce}.${signature}`],
      ["other nonce", `${version}.${expires}.x${nonce}.${signature}`],
      [
        "flipped signature",
        `${version}.${expires}.${nonce}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`,
      ],
      ["expired", expired.value],
      ["signed with another token", foreign.value],
      ["garbage", "garbage"],
    ];
    for (const [what, bad] of refused) {
      const api = await fetch(`${server.url}/api/tasks`, { headers: { Cookie: `${name}=${bad}` } });
      expect(api.status, what).toBe(401);
      const html = await fetch(`${server.url}/tasks`, {
        headers: { Cookie: `${name}=${bad}` },
        redirect: "manual",
      });
      expect(html.status, what).toBe(307);
      expect(html.headers.get("location"), what).toBe("/signin?next=%2Ftasks");
    }
  });

  it("still accepts the bearer token and ?token=, and sends pages without a session to /signin?next=…", async () => {
    expect(
      (await fetch(`${server.url}/api/tasks`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(200);
    expect((await fetch(`${server.url}/api/tasks?token=${TOKEN}`)).status).toBe(200);
    expect((await fetch(`${server.url}/api/tasks`)).status).toBe(401);
    const id = "a".repeat(32);
    for (const [path, next] of [
      ["/", "%2F"],
      ["/tasks", "%2Ftasks"],
      [`/tasks/${id}`, `%2Ftasks%2F${id}`],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, { redirect: "manual" });
      expect(response.status, path).toBe(307);
      expect(response.headers.get("location"), path).toBe(`/signin?next=${next}`);
    }
    // A program may fetch a page with the bearer token.
    const page = await fetch(`${server.url}/tasks`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
      redirect: "manual",
    });
    expect(page.status).toBe(200);
    const signin = await fetch(`${server.url}/signin?next=%2Ftasks`);
    expect(signin.status).toBe(200);
    expect(await signin.text()).toContain("API token");
  });

  it("never lets a cookie authorize a cross-site write, not even from CORS_ORIGINS; the token may", async () => {
    const { pair } = cookieOf(await signIn(server, TOKEN));
    const create = (headers: Record<string, string>) =>
      fetch(`${server.url}/api/research`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json", ...headers },
        body: JSON.stringify({ query: "cookie write test", depth: 1, breadth: 1 }),
      });
    const fromAllowed = await create({ Cookie: pair, Origin: ALLOWED, "Sec-Fetch-Site": "cross-site" });
    expect(fromAllowed.status).toBe(403);
    expect((await fromAllowed.json()).error.message).toMatch(
      /session cookie authorizes changes only from this server/,
    );
    const fromNeighbour = await create({ Cookie: pair, "Sec-Fetch-Site": "same-site" });
    expect(fromNeighbour.status).toBe(403);
    expect(
      (await fetch(`${server.url}/api/tasks`, { headers: { Cookie: pair } }).then((r) => r.json())).total,
    ).toBe(0);
    const withToken = await create({
      Authorization: `Bearer ${TOKEN}`,
      Origin: ALLOWED,
      "Sec-Fetch-Site": "cross-site",
    });
    expect(withToken.status).toBe(202);
    const fromOwnPage = await create({ Cookie: pair, Origin: own, "Sec-Fetch-Site": "same-origin" });
    expect(fromOwnPage.status).toBe(202);
    // Signing in from another site is refused too (login CSRF).
    const foreignSignIn = await signIn(server, TOKEN, {
      Origin: "http://evil.example",
      "Sec-Fetch-Site": "cross-site",
    });
    expect(foreignSignIn.status).toBe(403);
    expect(foreignSignIn.headers.get("set-cookie")).toBeNull();
  });

  it("signs out (the cookie is deleted)", async () => {
    const out = await fetch(`${server.url}/api/session`, { method: "DELETE" });
    expect(out.status).toBe(200);
    expect(cookieOf(out).header).toMatch(/^fathom_session=;.*Max-Age=0/);
  });

  it("limits wrong guesses per address", async () => {
    // Behind a trusted proxy, X-Forwarded-For tells addresses apart.
    const proxied = await startServer({
      env: { FATHOM_API_TOKEN: TOKEN, TRUST_PROXY: "true", LOG_LEVEL: "warn" },
    });
    try {
      const address = { "X-Forwarded-For": "198.51.100.7" };
      for (let attempt = 0; attempt < 10; attempt++) {
        expect((await signIn(proxied, `guess-${attempt}`, address)).status).toBe(401);
      }
      const limited = await signIn(proxied, TOKEN, address);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await limited.json()).error.code).toBe("rate_limited");
      // Another address is not affected.
      expect((await signIn(proxied, TOKEN, { "X-Forwarded-For": "198.51.100.8" })).status).toBe(200);
    } finally {
      await proxied.stop();
    }
  }, 60_000);
});

requireChromium("sign-in (real Chromium)");

describe.skipIf(!hasChromium)("sign-in (real Chromium)", () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer({
      env: { FATHOM_API_TOKEN: TOKEN, OUTPUT_CHUNK_DELAY_MS: "150", LOG_LEVEL: "warn" },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("signs in, researches, resumes after a reload, signs out; then pages redirect and the API refuses", async () => {
    const context = await browser.newContext({ baseURL: server.url });
    const page = await context.newPage();
    page.on("pageerror", (error) => console.error("[page error]", error));

    await page.goto("/tasks");
    expect(new URL(page.url()).pathname).toBe("/signin");
    expect(new URL(page.url()).searchParams.get("next")).toBe("/tasks");
    await page.getByLabel("API token").fill("wrong-token");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect
      .poll(() => page.getByTestId("sign-in-error").textContent(), { timeout: 15_000 })
      .toMatch(/not the API token/);
    await page.getByLabel("API token").fill(TOKEN);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/tasks$/);

    const [cookie] = (await context.cookies()).filter((item) => item.name === "fathom_session");
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/", secure: false });
    expect(cookie!.expires).toBeGreaterThan(Date.now() / 1000);
    // HttpOnly: the page's scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain("fathom_session");

    // Research from the form, watch it stream, reload mid-stream.
    await page.goto("/");
    const start = page.getByRole("button", { name: /start research/i });
    await expect.poll(() => start.isEnabled(), { timeout: 15_000 }).toBe(true);
    await fillResearchForm(page, "Louisiana Purchase treaty with France, signed in", {
      depth: 1,
      breadth: 2,
    });
    await start.click();
    await page.waitForURL(/\/tasks\/[0-9a-f]{32}$/);
    const id = page.url().split("/").pop()!;
    const before = await waitForReport(
      page,
      (state) => state.status === "running" && state.connection === "live" && state.text.length >= 100,
      "the report to stream",
    );
    const streams: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes(`/api/tasks/${id}/events`)) streams.push(request.url());
    });
    await page.reload();
    expect(new URL(page.url()).pathname).toBe(`/tasks/${id}`);
    // The reloaded page (still signed in) asks only for what follows what it had.
    await expect.poll(() => streams.length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(Number(new URL(streams[0]!).searchParams.get("lastEventId"))).toBeGreaterThan(0);
    const done = await waitForReport(page, (state) => state.connection === "finished", "the task to finish");
    const task = await (
      await fetch(`${server.url}/api/tasks/${id}`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    ).json();
    expect(task.status).toBe("completed");
    expect(before.text.length).toBeLessThan(task.result.report.length);
    expect(done.text).toBe(task.result.report);

    // Sign out from the navigation.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(/\/signin/);
    expect((await context.cookies()).filter((item) => item.name === "fathom_session")).toEqual([]);
    await page.goto(`/tasks/${id}`);
    expect(new URL(page.url()).pathname).toBe("/signin");
    expect(new URL(page.url()).searchParams.get("next")).toBe(`/tasks/${id}`);
    await page.goto("/");
    expect(new URL(page.url()).pathname).toBe("/signin");
    const statuses = await page.evaluate(async (taskId) => {
      const list = await fetch("/api/tasks");
      const one = await fetch(`/api/tasks/${taskId}`);
      return [list.status, one.status];
    }, id);
    expect(statuses).toEqual([401, 401]);
    await context.close();
  }, 150_000);
});
