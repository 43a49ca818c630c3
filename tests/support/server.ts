import type { ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { tempDir } from "./server-free";
import { spawnGuarded } from "./spawn-guarded";

const root = path.resolve(__dirname, "..", "..");

export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  process: ChildProcess;
  /** Everything the server printed. */
  output: () => string;
  /** Graceful stop (SIGTERM), then SIGKILL after a grace period. */
  stop: () => Promise<void>;
  /** Sends a signal to the server process (SIGKILL, SIGSTOP, SIGCONT…). */
  signal: (signal: NodeJS.Signals) => void;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Shared data directory (TASK_STORAGE_DIR is `<dataDir>/tasks`). A new temp dir by default. */
  dataDir?: string;
  port?: number;
  /** Wait for /api/health (default true). */
  waitReady?: boolean;
  /** Runs the server through another command (e.g. a namespace wrapper): gets the command, returns the new one. */
  wrap?: (command: string, args: string[]) => [string, string[]];
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export { tempDir } from "./server-free";

/** Starts the real production server (`npm start`'s script) on a free port. */
export async function startServer(options: StartOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir();
  const port = options.port ?? (await freePort());
  const plain: [string, string[]] = [
    process.execPath,
    [path.join(root, "scripts", "start.mjs"), "--no-build"],
  ];
  const [command, args] = options.wrap ? options.wrap(...plain) : plain;
  const child = spawnGuarded(command, args, {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: "production",
      PORT: String(port),
      HOSTNAME: "127.0.0.1",
      TASK_STORAGE_DIR: path.join(dataDir, "tasks"),
      LOG_FORMAT: "json",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const server: TestServer = {
    url,
    port,
    dataDir,
    process: child,
    output: () => output,
    signal: (signal) => {
      if (child.exitCode === null) child.kill(signal);
    },
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      const timeout = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timeout);
    },
  };
  if (options.waitReady !== false) await waitForHealth(server);
  return server;
}

export async function waitForHealth(server: TestServer, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.process.exitCode !== null) {
      throw new Error(`server exited with ${server.process.exitCode}:\n${server.output()}`);
    }
    try {
      const response = await fetch(`${server.url}/api/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server did not become healthy:\n${server.output()}`);
}
