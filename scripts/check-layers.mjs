#!/usr/bin/env node
// The layer check of docs/ARCHITECTURE.md ("Layers"), run by `npm test`:
// every import in lib/ and app/ must point down (or stay inside its own
// folder), never up or sideways. Exit 1 lists each import that breaks it.
//
//   node scripts/check-layers.mjs            check
//   node scripts/check-layers.mjs --print    also print the layer of every folder
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Layers from the bottom. A file may import its own unit and any unit of a
 * lower layer. Units in one layer are siblings: they never import each other.
 * A unit is a folder (every file under it) or, at lib/'s top, one file.
 */
const layers = [
  {
    name: "foundation",
    units: [
      "lib/config.ts",
      "lib/errors.ts",
      "lib/log.ts",
      "lib/sleep.ts",
      "lib/parse-json.ts",
      "lib/backoff.ts",
      "lib/redact.ts",
      "lib/console-redaction.ts",
    ],
  },
  // The UI's translations (JSON data, no imports of its own), read by app/_i18n.
  { name: "messages", units: ["messages"] },
  { name: "model", units: ["lib/model"] },
  // The HTTP client (browser and Node): it speaks to a server over the wire, never to its internals.
  { name: "client", units: ["lib/client"] },
  {
    name: "stores, research, exports, limits, auth and the API document",
    units: ["lib/store", "lib/research", "lib/export", "lib/limits", "lib/auth", "lib/openapi"],
  },
  { name: "streams and tasks", units: ["lib/sse", "lib/tasks"] },
  { name: "wiring", units: ["lib/server"] },
  { name: "routes and pages", units: ["app", "instrumentation.ts"] },
  { name: "command line", units: ["cli"] },
];

/** Inside the foundation every file is its own unit, but they may use each other (config → errors). */
const foundationMayImportFoundation = true;

/** Browser code: may import only the model (types and schemas), the HTTP client and other browser code. */
const browserUnits = ["app/components"];
const browserMayImport = ["lib/model", "lib/client", "lib/errors.ts", "lib/backoff.ts", "app/components"];

/** The client runs in browsers too: the model, the client-safe foundation files and itself. */
const clientUnits = ["lib/client"];
const clientMayImport = ["lib/model", "lib/errors.ts", "lib/backoff.ts", "lib/sleep.ts", "lib/client"];

/** The command line (cli/) is a program on the client: the client, the model and itself. */
const cliUnits = ["cli"];
const cliMayImport = ["lib/client", "lib/model", "lib/errors.ts", "lib/backoff.ts", "lib/sleep.ts", "cli"];

const unitOf = (file) => {
  for (const [index, layer] of layers.entries()) {
    for (const unit of layer.units) {
      if (file === unit || file.startsWith(`${unit}/`)) return { unit, layer: index };
    }
  }
  return null;
};

function sourceFiles(folder) {
  const out = [];
  for (const entry of fs.readdirSync(path.join(root, folder), { withFileTypes: true })) {
    const relative = `${folder}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(relative));
    else if (/\.(ts|tsx|mts|mjs)$/.test(entry.name) && !/\.d\.ts$/.test(entry.name)) out.push(relative);
  }
  return out;
}

const importPattern =
  /(?:^|\s)(?:import|export)\s(?:[^"';]*?\sfrom\s)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function resolveImport(file, specifier) {
  let target;
  if (specifier.startsWith("@/")) target = specifier.slice(2);
  else if (specifier.startsWith("."))
    target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
  else return null; // a package
  for (const candidate of [target, `${target}.ts`, `${target}.tsx`, `${target}/index.ts`]) {
    if (fs.existsSync(path.join(root, candidate)) && fs.statSync(path.join(root, candidate)).isFile())
      return candidate;
  }
  return target;
}

/**
 * Tests may cross layers (a Redis suite drives a task manager to prove the
 * store under it); shipped code may not. Test fixtures count as tests.
 */
const isTest = (file) => /\.test\.tsx?$/.test(file) || /\/testing\//.test(file);

const problems = [];
const files = [
  ...sourceFiles("lib"),
  ...sourceFiles("app"),
  ...sourceFiles("cli"),
  "instrumentation.ts",
].filter((file) => !isTest(file));
for (const file of files) {
  const from = unitOf(file);
  if (!from) {
    problems.push(
      `${file}: in no layer (add its folder to scripts/check-layers.mjs and docs/ARCHITECTURE.md)`,
    );
    continue;
  }
  const text = fs.readFileSync(path.join(root, file), "utf8");
  const browser = browserUnits.some((unit) => file.startsWith(`${unit}/`));
  const restricted = clientUnits.some((unit) => file.startsWith(`${unit}/`))
    ? { allowed: clientMayImport, what: "client code runs in browsers too" }
    : cliUnits.some((unit) => file.startsWith(`${unit}/`))
      ? { allowed: cliMayImport, what: "the command line speaks to a server only through lib/client" }
      : null;
  for (const match of text.matchAll(importPattern)) {
    const specifier = match[1] ?? match[2];
    const target = resolveImport(file, specifier);
    if (!target) continue;
    const to = unitOf(target);
    if (!to) {
      problems.push(`${file}: imports ${specifier}, which is in no layer`);
      continue;
    }
    if (browser && !browserMayImport.some((unit) => target === unit || target.startsWith(`${unit}/`))) {
      problems.push(
        `${file}: browser code imports ${specifier} (only the model and app/components are client-safe)`,
      );
      continue;
    }
    if (restricted && !restricted.allowed.some((unit) => target === unit || target.startsWith(`${unit}/`))) {
      problems.push(`${file}: imports ${specifier} (${restricted.what})`);
      continue;
    }
    if (to.unit === from.unit) continue;
    if (to.layer < from.layer) continue;
    if (to.layer === 0 && from.layer === 0 && foundationMayImportFoundation) continue;
    const direction = to.layer > from.layer ? "up" : "sideways";
    problems.push(
      `${file}: imports ${specifier} (${direction}: ${layers[from.layer].name} → ${layers[to.layer].name})`,
    );
  }
}

if (process.argv.includes("--print")) {
  for (const [index, layer] of layers.entries())
    console.log(`${index} ${layer.name}: ${layer.units.join(", ")}`);
}
if (problems.length > 0) {
  console.error(`Layer check: ${problems.length} import(s) break docs/ARCHITECTURE.md "Layers":`);
  for (const problem of problems) console.error(`  ${problem}`);
  process.exit(1);
}
console.log(`Layer check: ${files.length} files, every import points down.`);
