/**
 * `npm run bench`: Fathom's performance figures, each next to its goal.
 *
 * Runs the sections in order (or those named by --only), prints a table per
 * section and a summary, and writes everything as JSON to
 * bench/results/latest.json plus a timestamped copy. A section that fails is
 * reported (`error`) and the run goes on; a section whose prerequisites are
 * missing is `skipped` with the reason. Figures that miss their goal are
 * reported as they are: the bench measures, it does not assert.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { benchCollections } from "./collections";
import { benchDisk } from "./disk";
import { benchDurability } from "./durability";
import { benchFanout } from "./fanout";
import { benchReconnectStorm } from "./reconnect-storm";
import { benchResume } from "./resume";
import {
  type Figure,
  figure,
  type Goal,
  removeIndexTemplate,
  type SectionResult,
  stopAllServers,
} from "./support";
import { benchFollower, benchTakeover } from "./takeover";
import { benchTaskList } from "./task-list";

interface Options {
  only: Set<string> | null;
  full: boolean;
  fanoutEvents: number | undefined;
}

interface Section {
  name: string;
  title: string;
  /** Needs the built server. */
  server: boolean;
  run: (options: Options) => Promise<SectionResult | Skipped>;
}

/** A section that could not run here (a missing binary or module), with why. */
interface Skipped {
  skipped: string;
}

interface SectionRecord {
  name: string;
  title: string;
  durationMs: number;
  /** 1-minute load average when the section started (other work on the machine skews figures). */
  loadAverage: number;
  figures?: Figure[];
  notes?: string[];
  error?: string;
  skipped?: string;
}

const sections: Section[] = [
  {
    name: "disk",
    title: "1. Disk bytes per output byte",
    server: false,
    run: (options) =>
      benchDisk(options.full ? { seedEvents: Number.POSITIVE_INFINITY } : { seedEvents: 1000 }),
  },
  { name: "resume", title: "2. Resume latency", server: true, run: () => benchResume() },
  {
    name: "fanout",
    title: "3. SSE fan-out",
    server: true,
    run: (options) => benchFanout({ events: options.fanoutEvents }),
  },
  { name: "storm", title: "3b. Reconnect storm", server: true, run: () => benchReconnectStorm() },
  { name: "takeover", title: "4a. Takeover after SIGKILL", server: true, run: () => benchTakeover() },
  { name: "follower", title: "4b. Follower latency", server: true, run: () => benchFollower() },
  { name: "list", title: "5. Task list", server: true, run: () => benchTaskList() },
  { name: "research", title: "6. Research engine", server: false, run: runResearch },
  { name: "answers", title: "6b. Offline answers: the right address", server: false, run: runAnswers },
  { name: "redis", title: "7. Redis store vs resumable-stream", server: false, run: runRedis },
  {
    name: "durability",
    title: "8. Cost of DURABILITY=fsync",
    server: false,
    run: () => benchDurability(),
  },
  {
    name: "collections",
    title: "9. Collections: indexing and search",
    server: false,
    run: () => benchCollections(),
  },
];

const HELP = `Usage: npm run bench [-- options]

Measures Fathom's performance figures and compares each with its goal.
Prints a table and writes bench/results/latest.json and bench/results/<date>.json.

Options:
  --only=a,b          run only these sections (in the usual order)
  --full              disk: write the seed design's 10,000 rewrites for real
                      (about a minute and 11 GB of writes; by default 1,000
                      are written and the rest is counted exactly)
  --fanout-events=N   fan-out: events per subscriber (default 10,000)
  --help              this text

Sections:
${sections.map((section) => `  ${section.name.padEnd(10)} ${section.title}`).join("\n")}

The server sections start the production build (built first if the sources
changed) on 127.0.0.1 with temporary data folders.`;

async function main(): Promise<number> {
  const options = parseArguments(process.argv.slice(2));
  if (!options) {
    console.log(HELP);
    return 0;
  }
  const selected = sections.filter((section) => !options.only || options.only.has(section.name));
  const startedAt = new Date();
  if (selected.some((section) => section.server)) ensureBuilt();

  const records: SectionRecord[] = [];
  for (const section of selected) {
    console.log(`\n== ${section.title} (${section.name})`);
    const record: SectionRecord = {
      name: section.name,
      title: section.title,
      durationMs: 0,
      loadAverage: Number(os.loadavg()[0]!.toFixed(2)),
    };
    const started = performance.now();
    try {
      const result = await section.run(options);
      if ("skipped" in result) record.skipped = result.skipped;
      else {
        record.figures = result.figures;
        record.notes = result.notes;
      }
    } catch (error) {
      record.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    } finally {
      // A failed section may leave servers behind; the next one starts clean.
      await stopAllServers().catch((error: unknown) =>
        console.error(`could not stop servers: ${String(error)}`),
      );
    }
    record.durationMs = Math.round(performance.now() - started);
    records.push(record);
    printSection(record);
  }

  await removeIndexTemplate();
  printSummary(records);
  const file = writeResults(startedAt, records);
  console.log(`\nResults: ${path.relative(process.cwd(), file)} (and latest.json)`);
  return records.some((record) => record.error) ? 1 : 0;
}

function parseArguments(args: string[]): Options | null {
  const options: Options = { only: null, full: false, fanoutEvents: undefined };
  for (const argument of args) {
    const [key, value] = argument.split("=", 2) as [string, string | undefined];
    if (key === "--help" || key === "-h") return null;
    if (key === "--full") options.full = true;
    else if (key === "--only" && value) {
      const names = value.split(",").map((name) => name.trim());
      const unknown = names.filter((name) => !sections.some((section) => section.name === name));
      if (unknown.length > 0) {
        throw new Error(
          `--only: unknown section ${unknown.join(", ")}; expected ${sections.map((s) => s.name).join(", ")}`,
        );
      }
      options.only = new Set(names);
    } else if (key === "--fanout-events" && value && /^\d+$/.test(value) && Number(value) >= 1) {
      options.fanoutEvents = Number(value);
    } else {
      throw new Error(`unknown or malformed option "${argument}" (see --help)`);
    }
  }
  return options;
}

/**
 * The server sections run the production build: build it when the sources
 * changed. A failed build (e.g. another build of the same checkout is under
 * way) is not fatal: the server sections wait for a build to exist and
 * report an error if none comes.
 */
function ensureBuilt(): void {
  const script = path.join(__dirname, "..", "scripts", "ensure-build.mjs");
  const result = spawnSync(process.execPath, [script], { stdio: "inherit" });
  if (result.status !== 0)
    console.error(`The build failed (exit ${result.status}); the server sections use the build there is.`);
}

// ── the two sections that others' modules provide ────────────────────────

async function runResearch(): Promise<SectionResult> {
  const { benchResearch, RESEARCH_BENCH_GOALS } = await import("./research");
  const results = await benchResearch();
  const goals: Record<string, Goal> = {
    coldIndexMs: { op: "<", target: RESEARCH_BENCH_GOALS.coldIndexMs },
    warmIndexMs: { op: "<", target: RESEARCH_BENCH_GOALS.warmIndexMs },
    researchMs: { op: "<", target: RESEARCH_BENCH_GOALS.researchMs },
  };
  return {
    figures: Object.entries(results).map(([name, value]) =>
      figure(name, value, unitOf(name), goals[name] ? { goal: goals[name] } : {}),
    ),
  };
}

async function runAnswers(): Promise<SectionResult> {
  const { benchAnswers } = await import("./answers");
  return benchAnswers();
}

async function runRedis(): Promise<SectionResult | Skipped> {
  let module: { benchRedis?: unknown };
  try {
    module = await import("./redis");
  } catch (error) {
    return {
      skipped: `bench/redis.ts could not be loaded: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  if (typeof module.benchRedis !== "function") return { skipped: "bench/redis.ts exports no benchRedis()" };
  if (!process.env.REDIS_URL) {
    const { findRedisServer } = await import("../tests/support/redis");
    if (!findRedisServer()) return { skipped: "no REDIS_URL and no redis-server binary on PATH" };
  }
  const results = (await module.benchRedis()) as Record<string, number>;
  const figures = Object.entries(results).map(([name, value]) => figure(name, value, unitOf(name)));
  const fathom = results.fathom_fanout_events_per_s;
  const resumable = results.resumable_fanout_events_per_s;
  if (fathom && resumable)
    figures.push(figure("fan-out: fathom ÷ resumable-stream", fathom / resumable, "×"));
  return { figures };
}

function unitOf(name: string): string {
  if (name.endsWith("_per_s")) return "events/s";
  if (name.endsWith("Ms") || name.endsWith("_ms")) return "ms";
  return "";
}

// ── output ─────────────────────────────────────────────────────────────────

const OPS: Record<Goal["op"], string> = { "<": "<", "<=": "≤", ">": ">", ">=": "≥" };

function formatValue(item: Figure): string {
  const value = Math.abs(item.value) >= 10_000 ? item.value.toLocaleString("en-US") : String(item.value);
  return item.unit ? `${value} ${item.unit}` : value;
}

function formatGoal(item: Figure): string {
  return item.goal
    ? `${OPS[item.goal.op]} ${item.goal.target.toLocaleString("en-US")} ${item.unit}`.trim()
    : "";
}

function formatMet(item: Figure): string {
  if (item.met === undefined) return "";
  return item.met ? "met" : "MISSED";
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function printSection(record: SectionRecord): void {
  const seconds = (record.durationMs / 1000).toFixed(1);
  if (record.skipped) {
    console.log(`skipped: ${record.skipped} (${seconds} s)`);
    return;
  }
  if (record.error) {
    console.log(`ERROR after ${seconds} s:\n${record.error}`);
    return;
  }
  const rows = [["figure", "value", "goal", "", "note"]];
  for (const item of record.figures ?? []) {
    rows.push([item.name, formatValue(item), formatGoal(item), formatMet(item), item.note ?? ""]);
  }
  console.log(table(rows));
  for (const note of record.notes ?? []) console.log(`  · ${note}`);
  console.log(`  (${seconds} s, load average ${record.loadAverage} at start)`);
}

function printSummary(records: SectionRecord[]): void {
  console.log("\n== Summary: figures with a goal");
  const rows = [["section", "figure", "value", "goal", ""]];
  for (const record of records) {
    if (record.error) rows.push([record.name, "(error)", "", "", ""]);
    if (record.skipped) rows.push([record.name, `(skipped: ${record.skipped})`, "", "", ""]);
    for (const item of record.figures ?? []) {
      if (item.goal)
        rows.push([record.name, item.name, formatValue(item), formatGoal(item), formatMet(item)]);
    }
  }
  console.log(table(rows));
  const total = records.reduce((sum, record) => sum + record.durationMs, 0);
  console.log(
    `Total ${(total / 1000).toFixed(0)} s on ${os.cpus().length} cores, Node ${process.versions.node}.`,
  );
}

function writeResults(startedAt: Date, records: SectionRecord[]): string {
  const folder = path.join(__dirname, "results");
  fs.mkdirSync(folder, { recursive: true });
  const document = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    node: process.versions.node,
    cpus: os.cpus().length,
    sections: records,
  };
  const text = `${JSON.stringify(document, null, 2)}\n`;
  const stamped = path.join(folder, `${startedAt.toISOString().replace(/:/g, "-")}.json`);
  fs.writeFileSync(path.join(folder, "latest.json"), text);
  fs.writeFileSync(stamped, text);
  return stamped;
}

// Ctrl-C: stop the servers this run started before leaving.
process.once("SIGINT", () => {
  void stopAllServers()
    .then(removeIndexTemplate)
    .finally(() => process.exit(130));
});

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    void stopAllServers()
      .then(removeIndexTemplate)
      .finally(() => process.exit(2));
  },
);
