import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { requireBinary } from "./require-binary";
import { tempDir } from "./server";
import { spawnGuarded, stopChild, waitUntilReady } from "./spawn-guarded";

/**
 * A real nginx in front of real Fathom servers, started as a child process
 * (never as the machine's service) with its own prefix folder: main config,
 * pid, logs and temporary files all inside it, so it runs as root or not.
 * The site config is the shipped one (`deploy/nginx.conf`) with only the
 * upstream addresses and the listen port substituted (`siteConfigFrom`).
 */
export interface NginxTestServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The error log and whatever nginx printed (for failure messages). */
  output(): string;
  /** Stops nginx (SIGQUIT, then SIGKILL) and removes its folder. */
  stop(): Promise<void>;
}

const root = path.resolve(__dirname, "..", "..");

/** The `nginx` binary: NGINX_BIN, else the first on PATH or in the sbin folders; null when there is none. */
export function findNginx(): string | null {
  const explicit = process.env.NGINX_BIN;
  if (explicit) return fs.existsSync(explicit) ? explicit : null;
  const folders = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/sbin", "/usr/local/sbin"];
  for (const folder of folders) {
    if (!folder) continue;
    const candidate = path.join(folder, "nginx");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // Not in this folder.
    }
  }
  return null;
}

/**
 * A shipped site config (`deploy/<file>`) made to run here: the `server`
 * lines of its `upstream` block point at `backends` (each keeping the first
 * line's parameters, e.g. `max_fails`), and `listen 8080;` becomes
 * `listen 127.0.0.1:<port>;`. Everything else is the file as shipped; a
 * file whose shape changed so that neither substitution applies fails here.
 */
export function siteConfigFrom(file: string, backends: string[], port: number): string {
  const shipped = fs.readFileSync(path.join(root, "deploy", file), "utf8");
  const upstream = /(upstream\s+\w+\s*\{)([^}]*)\}/.exec(shipped);
  if (!upstream) throw new Error(`deploy/${file} has no upstream block`);
  const body = upstream[2]!;
  const serverLine = /^\s*server\s+\S+(.*);\s*$/m.exec(body);
  if (!serverLine) throw new Error(`deploy/${file}: its upstream block has no server line`);
  const parameters = serverLine[1]!;
  const others = body
    .split("\n")
    .filter((line) => line.trim() !== "" && !/^\s*server\s/.test(line))
    .join("\n");
  const servers = backends.map((backend) => `  server ${backend}${parameters};`).join("\n");
  const replaced = shipped.replace(upstream[0], `${upstream[1]}\n${servers}\n${others}\n}`);
  if (!/^\s*listen\s+8080;\s*$/m.test(replaced)) throw new Error(`deploy/${file} does not listen on 8080`);
  return replaced.replace(/^(\s*)listen\s+8080;\s*$/m, `$1listen 127.0.0.1:${port};`);
}

/**
 * Starts nginx with `site` (an http-level config: upstream and server
 * blocks) listening on `port`. `httpExtra` is added to the http block
 * around it (e.g. a header naming the upstream that answered).
 */
export async function startNginx(
  binary: string,
  options: { port: number; site: string; httpExtra?: string },
): Promise<NginxTestServer> {
  const dir = tempDir("fathom-nginx-");
  // Workers of an nginx started as root run as `nobody`: they must reach the temp folders.
  fs.chmodSync(dir, 0o755);
  fs.writeFileSync(path.join(dir, "site.conf"), options.site);
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((kind) => `  ${kind}_temp_path ${path.join(dir, `${kind}_temp`)};`)
    .join("\n");
  fs.writeFileSync(
    path.join(dir, "nginx.conf"),
    [
      "worker_processes 1;",
      "events { worker_connections 1024; }",
      "http {",
      `  access_log ${path.join(dir, "access.log")};`,
      temp,
      options.httpExtra ?? "",
      `  include ${path.join(dir, "site.conf")};`,
      "}",
      "",
    ].join("\n"),
  );
  const errorLog = path.join(dir, "error.log");
  const child: ChildProcess = spawnGuarded(
    binary,
    [
      "-p",
      dir,
      "-c",
      path.join(dir, "nginx.conf"),
      "-e",
      errorLog,
      "-g",
      `daemon off; pid ${path.join(dir, "nginx.pid")}; error_log ${errorLog} info;`,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let printed = "";
  child.stdout?.on("data", (chunk) => {
    printed += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    printed += chunk;
  });
  const output = () => {
    const log = fs.existsSync(errorLog) ? fs.readFileSync(errorLog, "utf8") : "";
    return `${printed}\n${log}`;
  };
  await waitUntilReady(child, () => connects(options.port), output, {
    name: "nginx",
    notReady: `did not listen on port ${options.port}`,
  });
  return {
    url: `http://127.0.0.1:${options.port}`,
    port: options.port,
    dir,
    output,
    stop: async () => {
      await stopChild(child, "SIGQUIT");
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/**
 * Without nginx a suite skips with a message; on CI (`CI=true`), where
 * `.ci/run` installs it, the skip is a failing test instead.
 */
export function requireNginx(suite: string, binary: string | null): void {
  requireBinary(suite, binary !== null, `${suite} needs nginx (Debian package "nginx-light" or "nginx").`);
}
