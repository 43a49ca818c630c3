// `npm start`: builds when the sources changed, then runs the Next.js
// standalone server — exactly what the Docker image runs — in this process
// (so a signal sent to it reaches the server itself).
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuild, prepareStandalone } from "./ensure-build.mjs";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(`Usage: npm start [-- --no-build]

Starts Fathom's production server, building it first when the sources changed
(--no-build: run the existing build as it is).
Environment: PORT (default 3000), HOSTNAME (listen address, default 0.0.0.0),
TASK_STORAGE_DIR (default ./data/tasks) and the rest listed in .env.example.`);
  process.exit(0);
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
if (!process.argv.includes("--no-build")) ensureBuild();

const port = process.env.PORT ?? "3000";
if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) {
  console.error(`Fathom cannot start. Invalid configuration:\n  PORT: expected a port number, got "${port}"`);
  process.exit(1);
}
// Shells and containers set HOSTNAME to the machine's name; only an address is a listen address.
if (!/^[\d.]+$|^[\da-f:]+$|^localhost$/i.test(process.env.HOSTNAME ?? "")) process.env.HOSTNAME = "0.0.0.0";

// The standalone server changes into its own folder: make paths absolute first.
const cwd = process.cwd();
process.env.TASK_STORAGE_DIR = path.resolve(cwd, process.env.TASK_STORAGE_DIR || "./data/tasks");
if (process.env.CORPUS_DIR) process.env.CORPUS_DIR = path.resolve(cwd, process.env.CORPUS_DIR);

// Fathom handles SIGTERM/SIGINT itself: it hands running tasks back, then exits
// (Next.js would otherwise wait for every open event stream to end).
process.env.NEXT_MANUAL_SIG_HANDLE = "true";

const standalone = path.join(root, ".next", "standalone");
if (!fs.existsSync(path.join(standalone, ".next", "static"))) prepareStandalone();

const require = createRequire(import.meta.url);
require("./server-hooks.cjs");
require(path.join(standalone, "server.js"));
