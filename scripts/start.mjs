// `npm start`: builds when the sources changed, then runs the production
// server in this process (so a signal sent to it reaches the server itself).
import path from "node:path";
import { ensureBuild } from "./ensure-build.mjs";

if (process.argv.includes("--help") || process.argv.includes("-h")) {
  console.log(`Usage: npm start

Starts Fathom's production server, building it first when the sources changed.
Environment: PORT (default 3000), HOSTNAME (default 0.0.0.0), TASK_STORAGE_DIR
(default ./data/tasks) and the rest listed in .env.example.`);
  process.exit(0);
}

process.env.NODE_ENV = "production";
process.env.NEXT_TELEMETRY_DISABLED ??= "1";
ensureBuild();

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const port = Number(process.env.PORT ?? "3000");
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`Fathom cannot start. Invalid configuration:\n  PORT: expected a port number, got "${process.env.PORT}"`);
  process.exit(1);
}
// HOSTNAME is also set by shells to the machine's name; only an address-like value is used.
const hostname = /^[\d.:]+$|^localhost$/.test(process.env.HOSTNAME ?? "") ? process.env.HOSTNAME : undefined;
const { nextStart } = await import("next/dist/cli/next-start.js");
await nextStart({ port, hostname }, root);
