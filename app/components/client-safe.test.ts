import fs from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Browser code (app/components) may import the model, but only the parts of
 * it that run in a browser: scripts/check-layers.mjs checks which folders it
 * imports, this checks what those files pull in, transitively. A model file
 * that needs Node (object-hash in lib/model/fingerprint.ts, say) must stay
 * out of the browser's import graph.
 */
const root = path.resolve(__dirname, "../..");
const serverOnlyPackages = new Set([
  "server-only",
  "object-hash",
  "ioredis",
  "write-file-atomic",
  "linkedom",
]);
const builtins = new Set(builtinModules);

const importPattern =
  /(?:^|\s)(?:import|export)\s(?:type\s)?(?:[^"';]*?\sfrom\s)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function resolve(from: string, specifier: string): string | null {
  let target: string;
  if (specifier.startsWith("@/")) target = specifier.slice(2);
  else if (specifier.startsWith(".")) target = path.posix.join(path.posix.dirname(from), specifier);
  else return null;
  for (const candidate of [target, `${target}.ts`, `${target}.tsx`, `${target}/index.ts`]) {
    const file = path.join(root, candidate);
    if (fs.existsSync(file) && fs.statSync(file).isFile()) return candidate;
  }
  throw new Error(`${from}: cannot resolve ${specifier}`);
}

/** Imports erased at compile time pull in nothing. */
function isTypeOnly(statement: string): boolean {
  return /^\s*(?:import|export)\s+type\s/.test(statement);
}

function packagesReachedFrom(entries: string[]): Map<string, string> {
  const seen = new Set<string>();
  const packages = new Map<string, string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = fs.readFileSync(path.join(root, file), "utf8");
    for (const match of text.matchAll(importPattern)) {
      if (isTypeOnly(match[0])) continue;
      const specifier = match[1] ?? match[2]!;
      const target = resolve(file, specifier);
      if (target) queue.push(target);
      else if (!packages.has(specifier)) packages.set(specifier, file);
    }
  }
  return packages;
}

describe("browser code", () => {
  it("pulls in no Node-only module, directly or through the model", () => {
    const entries = fs
      .readdirSync(path.join(root, "app/components"))
      .filter((name) => /\.tsx?$/.test(name) && !/\.test\.tsx?$/.test(name))
      .map((name) => `app/components/${name}`);
    const offending = [...packagesReachedFrom(entries)]
      .filter(([specifier]) => {
        const name = specifier.replace(/^node:/, "").split("/")[0]!;
        return specifier.startsWith("node:") || builtins.has(name) || serverOnlyPackages.has(name);
      })
      .map(([specifier, file]) => `${file} imports ${specifier}`);
    expect(offending).toEqual([]);
  });

  it("would notice the model's fingerprint (object-hash) if it were imported", () => {
    expect([...packagesReachedFrom(["lib/model/fingerprint.ts"]).keys()]).toContain("object-hash");
  });
});
