import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { freePort, tempDir } from "./server";
import { spawnGuarded, stopChild, waitUntilReady } from "./spawn-guarded";

/**
 * A real `redis-server` for tests: a free port on 127.0.0.1, a temporary
 * directory, no RDB snapshots, the append-only file on (so a restart keeps
 * what was acknowledged). `kill()` + `start()` restart it on the same port
 * and data, which is how tests cut Redis away from a running store.
 */
export interface RedisTestServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Everything the server printed (for failure messages). */
  output(): string;
  /** Starts the server again after `kill()` (same port, same data). */
  start(): Promise<void>;
  /** SIGKILL: no shutdown, no final save. */
  kill(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** The `redis-server` binary: REDIS_SERVER_BIN, else the first on PATH; null when there is none. */
export function findRedisServer(): string | null {
  const explicit = process.env.REDIS_SERVER_BIN;
  if (explicit) return fs.existsSync(explicit) ? explicit : null;
  for (const folder of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!folder) continue;
    const candidate = path.join(folder, "redis-server");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return null;
}

export async function startRedisServer(binary: string): Promise<RedisTestServer> {
  const port = await freePort();
  const dir = tempDir("fathom-redis-");
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  let output = "";

  const launch = async () => {
    const args = [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "everysec",
      "--daemonize",
      "no",
      "--logfile",
      "",
    ];
    const started = spawnGuarded(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
    child = started;
    started.stdout?.on("data", (chunk) => {
      output += chunk;
    });
    started.stderr?.on("data", (chunk) => {
      output += chunk;
    });
    exited = new Promise((resolve) => started.once("exit", () => resolve()));
    // PONG, not LOADING: the data is in.
    await waitUntilReady(
      started,
      () => ping(port),
      () => output,
      {
        name: "redis-server",
        notReady: `did not answer on port ${port}`,
      },
    );
  };

  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    running.kill("SIGKILL");
    await exited;
  };

  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    output: () => output,
    start: launch,
    kill,
    stop: async () => {
      await stopChild(child, "SIGTERM");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let reply = "";
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.on("error", () => done(false));
    socket.on("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk) => {
      reply += chunk.toString("utf8");
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
  });
}
