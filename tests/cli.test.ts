import { type ChildProcess, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startServer, type TestServer, tempDir } from "./support/server";
import { startModelServer } from "./support/model-servers";
import { requireBinary } from "./support/require-binary";
import { getJson, waitFor } from "./support/sse";
import { spawnGuarded } from "./support/spawn-guarded";

const root = path.resolve(__dirname, "..");
const bin = path.join(root, "bin", "fathom.mjs");

/** A running `fathom` process, its output collected as it comes. */
interface Cli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The exit code (a signal death is a failure of the test: `fathom` handles its signals). */
  exit: Promise<number | null>;
}

function spawnCli(args: string[], env: Record<string, string> = {}): Cli {
  const child = spawnGuarded(process.execPath, [bin, ...args], {
    cwd: root,
    // No FATHOM_* from the environment of whoever runs the tests.
    env: { NODE_ENV: "production", PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout: Buffer[] = [];
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exit = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stdout: () => Buffer.concat(stdout).toString("utf8"), stderr: () => stderr, exit };
}

/** Runs another program (a terminal wrapper) with the same clean environment. */
async function runCliThrough(command: string, args: string[], env: Record<string, string>) {
  const child = spawnGuarded(command, args, {
    cwd: root,
    env: {
      NODE_ENV: "production",
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      TERM: "xterm",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString("utf8");
  });
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, stdout };
}

async function runCli(args: string[], env: Record<string, string> = {}) {
  const cli = spawnCli(args, env);
  const code = await cli.exit;
  return { code, stdout: cli.stdout(), stderr: cli.stderr() };
}

const env = {
  // Slow enough that a report is still being written when the test acts on it.
  OUTPUT_CHUNK_DELAY_MS: "150",
  LEASE_TTL_MS: "1500",
  LEASE_RENEW_MS: "500",
  TAKEOVER_SCAN_MS: "200",
};

/** util-linux `script` runs a command on a pseudo-terminal: how a test sees what a person at a terminal sees. */
const hasScript = spawnSync("script", ["--version"]).status === 0;
requireBinary("fathom on a terminal", hasScript, "util-linux `script` (a pseudo-terminal) is not installed.");

/** `fathom`, the command line (cli/), spawned as a child process against the real server. */
describe("the fathom command line", () => {
  let server: TestServer;
  const dataDir = tempDir();
  let counter = 0;

  beforeAll(async () => {
    server = await startServer({ dataDir, env });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const cliEnv = () => ({ FATHOM_URL: server.url });
  const task = async (id: string) => (await getJson(`${server.url}/api/tasks/${id}`)).body;
  const question = (topic: string) => `CLI ${++counter}: ${topic}`;
  const taskIdIn = (text: string) => /task ([0-9a-f]{32})/.exec(text)?.[1];

  it("research: stdout is exactly result.report, exit 0; piped stderr gets plain progress lines", async () => {
    const result = await runCli(
      ["research", question("the Monroe Doctrine"), "--depth", "1", "--breadth", "1"],
      cliEnv(),
    );
    expect(result.stderr).not.toMatch(/\x1b|\r/);
    expect(result.code).toBe(0);
    const id = taskIdIn(result.stderr)!;
    expect(id).toBeDefined();
    const done = await task(id);
    expect(done.status).toBe("completed");
    expect(result.stdout).toBe(done.result.report);
    expect(result.stderr).toMatch(/^\[ *\d+%\] running/m);
    expect(result.stderr).toMatch(/^\[100%\] completed/m);
  });

  it("survives the server killed (SIGKILL) and restarted mid-report: stdout still equals result.report", async () => {
    const cli = spawnCli(
      ["research", question("tariffs and the nullification crisis"), "--breadth", "2"],
      cliEnv(),
    );
    await waitFor("report text on stdout", async () => cli.stdout().length > 0, 120_000);
    const id = taskIdIn(cli.stderr())!;
    expect((await task(id)).status).toBe("running");
    server.signal("SIGKILL");
    await server.exited;
    server = await startServer({ dataDir, env, port: server.port });
    expect(await cli.exit).toBe(0);
    const done = await task(id);
    expect(done.status).toBe("completed");
    expect(cli.stdout()).toBe(done.result.report);
    expect(cli.stderr()).toMatch(/Connection lost/);
  });

  it("Ctrl-C detaches without cancelling and prints how to come back; attach streams the report", async () => {
    const cli = spawnCli(
      ["research", question("the Erie Canal"), "--depth", "1", "--breadth", "2"],
      cliEnv(),
    );
    await waitFor("report text on stdout", async () => cli.stdout().length > 0, 120_000);
    cli.child.kill("SIGINT");
    expect(await cli.exit).toBe(130);
    const id = taskIdIn(cli.stderr())!;
    expect(cli.stderr()).toContain(`fathom attach ${id}`);
    const after = await task(id);
    expect(["queued", "running", "completed"]).toContain(after.status);
    const attached = await runCli(["attach", id], cliEnv());
    expect(attached.code).toBe(0);
    const done = await task(id);
    expect(done.status).toBe("completed");
    expect(attached.stdout).toBe(done.result.report);
  });

  it.runIf(hasScript)("draws a progress bar redrawn in place when stderr is a terminal", async () => {
    const command = `${process.execPath} ${bin} research "${question("the Embargo Act")}" --depth 1 --breadth 1`;
    const result = await runCliThrough("script", ["-qfec", command, "/dev/null"], cliEnv());
    expect(result.code).toBe(0);
    const id = taskIdIn(result.stdout)!;
    const done = await task(id);
    expect(done.status).toBe("completed");
    expect(result.stdout).toMatch(/\r\x1b\[2K[█░]{24} +\d+% /);
    expect(result.stdout).toContain("\r\x1b[2K████████████████████████ 100% completed");
    // The report went through the terminal too (which turns "\n" into "\r\n").
    expect(result.stdout.replace(/\r\n/g, "\n")).toContain(done.result.report.split("\n")[0]);
  });

  it("a reader that closes stdout detaches it like Ctrl-C, without a crash", async () => {
    const cli = spawnCli(
      ["research", question("the Missouri Compromise"), "--depth", "1", "--breadth", "2"],
      cliEnv(),
    );
    await waitFor("report text on stdout", async () => cli.stdout().length > 0, 120_000);
    cli.child.stdout?.destroy();
    expect(await cli.exit).toBe(130);
    const id = taskIdIn(cli.stderr())!;
    expect(cli.stderr()).toContain(
      `Stdout was closed. Detached; the research continues on the server. Come back with: fathom attach ${id}`,
    );
    expect(cli.stderr()).not.toMatch(/EPIPE|at .*\.ts:/);
    await waitFor("completed", async () => (await task(id)).status === "completed", 120_000);
  });

  it("a task cancelled while streaming exits 1; cancel and list work", async () => {
    const cli = spawnCli(
      ["research", question("the Gadsden Purchase"), "--depth", "1", "--breadth", "2"],
      cliEnv(),
    );
    await waitFor("report text on stdout", async () => cli.stdout().length > 0, 120_000);
    const id = taskIdIn(cli.stderr())!;
    const cancelled = await runCli(["cancel", id], cliEnv());
    expect(cancelled).toMatchObject({ code: 0, stdout: `${id} cancelled\n` });
    expect(await cli.exit).toBe(1);
    expect(cli.stderr()).toMatch(/Research cancelled\./);
    const state = await task(id);
    expect(state.status).toBe("cancelled");
    // What it streamed is what the task kept.
    expect(cli.stdout()).toBe(state.result?.report ?? "");

    const listed = await runCli(["list", "--status", "cancelled"], cliEnv());
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${id}  cancelled`, "m"));
    const json = await runCli(["list", "--json", "--limit", "200"], cliEnv());
    expect(JSON.parse(json.stdout).tasks.map((row: { id: string }) => row.id)).toContain(id);
    const attached = await runCli(["attach", id], cliEnv());
    expect(attached.code).toBe(1);
  });

  it("export writes a PDF and Markdown to stdout; an unknown task is refused with 1", async () => {
    const created = await runCli(
      ["research", question("the Oregon Trail"), "--depth", "1", "--breadth", "1"],
      cliEnv(),
    );
    expect(created.code).toBe(0);
    const id = taskIdIn(created.stderr)!;
    const folder = tempDir();
    const file = path.join(folder, "report.pdf");
    const exported = await runCli(["export", id, "--format", "pdf", "-o", file], cliEnv());
    expect(exported.code).toBe(0);
    expect(fs.readFileSync(file).subarray(0, 5).toString("latin1")).toBe("%PDF-");
    const markdown = await runCli(["export", id, "-o", "-"], cliEnv());
    expect(markdown.stdout).toBe((await task(id)).result.report);
    const unknown = await runCli(["export", "f".repeat(32), "--format", "pdf", "-o", file], cliEnv());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/fathom: /);
  });

  it("usage errors exit 2 without calling the server; --help everywhere exits 0", async () => {
    for (const args of [
      [],
      ["frobnicate"],
      ["research"],
      ["research", "q", "--depth", "9"],
      ["research", "q", "--format", "pdf"],
      ["attach", "not-an-id"],
      ["list", "--limit", "0"],
      ["export", "f".repeat(32), "--format", "rtf"],
      ["list", "--server", "ftp://example.com"],
    ]) {
      const result = await runCli(args, cliEnv());
      expect({ args, code: result.code }).toEqual({ args, code: 2 });
      expect(result.stderr).toMatch(/^fathom: .+\nUsage: fathom/);
    }
    for (const args of [
      ["--help"],
      ["help", "export"],
      ["research", "--help"],
      ["attach", "-h"],
      ["list", "--help"],
      ["cancel", "--help"],
      ["export", "--help"],
    ]) {
      const result = await runCli(args);
      expect({ args, code: result.code }).toEqual({ args, code: 0 });
      expect(result.stdout).toMatch(/^Usage: fathom/);
    }
  });

  it("an unreachable server exits 3 after --wait-server", async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const result = await runCli(["research", "anything", "--wait-server", "1"], { FATHOM_URL: nowhere });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/can't be reached/);
    const listed = await runCli(["list", "--server", nowhere, "--wait-server", "0"]);
    expect(listed.code).toBe(3);
  });

  it("sends the token from --token or FATHOM_API_TOKEN; a task that fails exits 1", async () => {
    // An OpenAI-wire server that refuses every request: research written by that model fails.
    const model = await startModelServer({ wire: "openai", quirks: { echoKey: true } });
    const guarded = await startServer({
      env: {
        FATHOM_API_TOKEN: "cli-test-token-0123456789",
        OPENAI_BASE_URL: model.baseURL,
        OPENAI_API_KEY: "sk-cli-test",
        STEP_MAX_RETRIES: "0",
        LLM_MAX_RETRIES: "0",
      },
    });
    try {
      const failed = await runCli(
        ["research", question("the Embargo of 1807"), "--llm", "openai", "--depth", "1", "--breadth", "1"],
        {
          FATHOM_URL: guarded.url,
          FATHOM_API_TOKEN: "cli-test-token-0123456789",
        },
      );
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/^Research failed: /m);
      const id = taskIdIn(failed.stderr)!;
      const state = await getJson(`${guarded.url}/api/tasks/${id}`, {
        headers: { Authorization: "Bearer cli-test-token-0123456789" },
      });
      expect(state.body.status).toBe("failed");

      const refused = await runCli(["list"], { FATHOM_URL: guarded.url });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/token/i);
      const byOption = await runCli(["list", "--token", "cli-test-token-0123456789"], {
        FATHOM_URL: guarded.url,
      });
      expect(byOption.code).toBe(0);
      const byEnv = await runCli(["list"], {
        FATHOM_URL: guarded.url,
        FATHOM_API_TOKEN: "cli-test-token-0123456789",
      });
      expect(byEnv.code).toBe(0);
    } finally {
      await guarded.stop();
      await model.close();
    }
  });

  it("runs as the package's bin: npm run fathom", () => {
    const result = spawnSync("npm", ["run", "-s", "fathom", "--", "--help"], { cwd: root, encoding: "utf8" });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^Usage: fathom <command>/);
  });
});
