// Builds the app when there is no build yet or the sources changed since the last one.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sourceFolders = [
  "app",
  "lib",
  "messages",
  "public",
  "instrumentation.ts",
  "next.config.js",
  "package.json",
  "scripts/build-search-index.ts",
];
const standalone = path.join(root, ".next", "standalone");
// SOTU_PREBUILT_INDEX (lib/research/corpus/sotu-corpus.ts) in the standalone server's folder.
const prebuiltIndex = path.join(standalone, "search-index", "sotu.idx");

function newestMtime(target) {
  let stat;
  try {
    stat = fs.statSync(target);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of fs.readdirSync(target)) {
    if (name === "node_modules" || name.startsWith(".")) continue;
    if (/\.test\.tsx?$/.test(name)) continue;
    newest = Math.max(newest, newestMtime(path.join(target, name)));
  }
  return newest;
}

export function buildIsCurrent() {
  const marker = path.join(root, ".next", "BUILD_ID");
  if (!fs.existsSync(marker)) return false;
  const built = fs.statSync(marker).mtimeMs;
  return sourceFolders.every((folder) => newestMtime(path.join(root, folder)) <= built);
}

/**
 * What the Dockerfile does after the build: the standalone server serves
 * `public/` and `.next/static/` from its own folder.
 */
export function prepareStandalone() {
  fs.cpSync(path.join(root, "public"), path.join(standalone, "public"), { recursive: true });
  fs.cpSync(path.join(root, ".next", "static"), path.join(standalone, ".next", "static"), {
    recursive: true,
  });
}

/**
 * Builds the default corpus's search index into the standalone server's
 * folder (scripts/build-search-index.ts): the server loads it at start
 * instead of building it.
 */
export function buildSearchIndex() {
  const result = spawnSync(
    process.execPath,
    [
      path.join(root, "node_modules", "tsx", "dist", "cli.mjs"),
      path.join(root, "scripts", "build-search-index.ts"),
      standalone,
    ],
    { cwd: root, stdio: "inherit" },
  );
  if (result.status !== 0) {
    console.error("Building the search index failed.");
    process.exit(result.status ?? 1);
  }
}

export function ensureBuild() {
  if (buildIsCurrent()) {
    // A build made before the index was part of it.
    if (!fs.existsSync(prebuiltIndex)) buildSearchIndex();
    return;
  }
  console.error("Building Fathom (next build)…");
  const result = spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"],
    {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    },
  );
  if (result.status !== 0) {
    console.error("The build failed.");
    process.exit(result.status ?? 1);
  }
  prepareStandalone();
  buildSearchIndex();
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) ensureBuild();
