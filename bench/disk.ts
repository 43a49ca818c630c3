/**
 * Section 1 — disk bytes per output byte.
 *
 * Fathom: a FileTaskStore in a temporary folder; one task, one lease, 10,000
 * `output` events appended one per append (as the runner appends each piece
 * of the report), a state snapshot saved every 100 events (the runner saves
 * at most every 500 ms), and the final snapshot (which stores the report's
 * length, not its text: the text is the log's outputs).
 *
 * Seed design (the baseline): one JSON file per task holding the state and
 * every output so far, rewritten atomically (write-file-atomic, as Fathom's
 * snapshots) on every event.
 *
 * Bytes are measured twice: by what the process passed to write() (the
 * `wchar` counter of /proc/self/io, Linux only) and by the sizes of the files
 * written. Rewriting 10,000 growing files is quadratic (about 11 GB and a
 * minute here), so by default the seed design is run for real on the first
 * `seedEvents` events and its bytes for all events are counted exactly (each
 * file's size is known without writing it); `--full` runs it to the end.
 */
import fs from "node:fs";
import path from "node:path";
import writeFileAtomic from "write-file-atomic";
import { persistedTask, type TaskJson } from "../lib/model/task-json";
import {
  benchStore,
  figure,
  makeTask,
  removeDir,
  reportPieces,
  type SectionResult,
  tempDir,
} from "./support";

export interface DiskBenchOptions {
  /** Output events of the task (default 10,000). */
  events?: number;
  /** Events the seed design writes for real (default 1,000; Infinity: all). */
  seedEvents?: number;
  /** Save the state snapshot every this many events (default 100). */
  saveEvery?: number;
}

const GOAL_RATIO = 2;

export async function benchDisk(options: DiskBenchOptions = {}): Promise<SectionResult> {
  const events = options.events ?? 10_000;
  const seedEvents = Math.min(events, options.seedEvents ?? 1000);
  const saveEvery = options.saveEvery ?? 100;
  const pieces = reportPieces(events, 7);
  const outputBytes = pieces.reduce((sum, text) => sum + Buffer.byteLength(text), 0);
  const outputBytesAtSeed = pieces
    .slice(0, seedEvents)
    .reduce((sum, text) => sum + Buffer.byteLength(text), 0);

  const fathom = await runFathom(pieces, saveEvery, seedEvents);
  const seed = await runSeed(pieces, seedEvents);
  const seedBytesAll = seedBytesFor(pieces, seed.baseTask);
  // The count must agree with what was written where both exist.
  const counted = seedBytesFor(pieces.slice(0, seedEvents), seed.baseTask);
  if (counted !== seed.bytes) throw new Error(`seed byte count ${counted} ≠ bytes written ${seed.bytes}`);

  const figures = [
    figure("output text", outputBytes / 1e6, "MB", { note: `${events} events, 40–400 chars each` }),
    figure("fathom: bytes written ÷ output bytes", fathom.bytes / outputBytes, "×", {
      goal: { op: "<=", target: GOAL_RATIO },
      note: `log ${mb(fathom.logBytes)}, ${fathom.saves} snapshots ${mb(fathom.snapshotBytes)}, final snapshot ${mb(fathom.finalBytes)}, other ${mb(fathom.otherBytes)}`,
    }),
    figure(
      "fathom: same, without the final snapshot",
      (fathom.bytes - fathom.finalBytes) / outputBytes,
      "×",
      {
        note: "the final snapshot keeps only the report's length; its text is in the log",
      },
    ),
    ...(fathom.wchar === null
      ? []
      : [
          figure("fathom: write() bytes ÷ output bytes", fathom.wchar / outputBytes, "×", {
            note: "what the process passed to write() during the run (/proc/self/io wchar), every file included",
          }),
        ]),
    figure("fathom: time for all events", fathom.ms, "ms", {
      note: `${Math.round((events / fathom.ms) * 1000)} events/s`,
    }),
    figure(`fathom: time for the first ${seedEvents} events`, fathom.msAtSeed, "ms"),
    figure("seed design: bytes written ÷ output bytes", seedBytesAll / outputBytes, "×", {
      note:
        seedEvents === events
          ? `written for real: ${mb(seed.bytes)}`
          : `counted exactly for ${events} events (${mb(seedBytesAll)}); written for real for ${seedEvents}`,
    }),
    figure(`seed design: ratio at ${seedEvents} events (written)`, seed.bytes / outputBytesAtSeed, "×", {
      note: `fathom at ${seedEvents}: ${(fathom.bytesAtSeed / outputBytesAtSeed).toFixed(2)}×`,
    }),
    ...(seed.wchar === null
      ? []
      : [
          figure(
            `seed design: write() bytes ÷ output bytes at ${seedEvents}`,
            seed.wchar / outputBytesAtSeed,
            "×",
          ),
        ]),
    figure(`seed design: time for the first ${seedEvents} events`, seed.ms, "ms"),
  ];
  return {
    figures,
    notes: [
      `One append per output event; a state snapshot every ${saveEvery} events (the runner saves at most every 500 ms).`,
      "Bytes = log segment size + every snapshot written + creation files (created.json, epoch claim, heartbeat).",
      seedEvents === events
        ? "Seed design written in full."
        : `Seed design written for ${seedEvents} events (quadratic: ~1 minute and ~11 GB for 10,000 here); its full byte count is exact arithmetic on the same texts. --full writes it all.`,
    ],
  };
}

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(2)} MB`;
}

/** Bytes the process has passed to write() so far (Linux), or null. */
function writtenBytes(): number | null {
  try {
    const match = /^wchar: (\d+)$/m.exec(fs.readFileSync("/proc/self/io", "utf8"));
    return match ? Number(match[1]) : null;
  } catch {
    // Not Linux: the file-size count stands alone.
    return null;
  }
}

function wcharSince(start: number | null): number | null {
  const now = writtenBytes();
  return start === null || now === null ? null : now - start;
}

async function runFathom(pieces: string[], saveEvery: number, seedEvents: number) {
  const root = tempDir("disk");
  const store = benchStore(root);
  try {
    // Creates the storage folders (and the volume's 256 KB full-disk reserve) before measuring.
    await store.listTaskIds();
    const wcharStart = writtenBytes();
    const started = performance.now();
    const task = makeTask();
    await store.createTask(task);
    const lease = await store.acquireLease(task.id, "bench-owner");
    if (!lease) throw new Error("could not acquire the lease");
    let snapshotBytes = 0;
    let saves = 0;
    let msAtSeed = 0;
    let bytesAtSeed = 0;
    // What the runner writes: the snapshot without the report's text (it is in the log).
    const save = async (current: TaskJson) => {
      const persisted = persistedTask(current);
      await store.saveTask(lease, persisted);
      saves += 1;
      return Buffer.byteLength(`${JSON.stringify(persisted)}\n`);
    };
    const segment = path.join(root, task.id, `log-${lease.epoch}.ndjson`);
    for (let index = 0; index < pieces.length; index++) {
      const [event] = await store.append(lease, [
        { event: { type: "output", data: { text: pieces[index]! } } },
      ]);
      task.lastEventId = event!.id;
      if ((index + 1) % saveEvery === 0) {
        task.progress = Math.round(((index + 1) / pieces.length) * 100);
        task.step = "report";
        task.message = "Writing the report";
        task.updatedAt = new Date().toISOString();
        snapshotBytes += await save(task);
      }
      if (index + 1 === seedEvents) {
        msAtSeed = performance.now() - started;
        bytesAtSeed = fs.statSync(segment).size + snapshotBytes + creationBytes(root, task.id);
      }
    }
    const finished: TaskJson = {
      ...task,
      status: "completed",
      progress: 100,
      finishedAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      result: { report: pieces.join(""), sources: [], learnings: [] },
    };
    const finalBytes = await save(finished);
    const ms = performance.now() - started;
    const wchar = wcharSince(wcharStart);
    const logBytes = fs.statSync(segment).size;
    const otherBytes = creationBytes(root, task.id);
    return {
      bytes: logBytes + snapshotBytes + finalBytes + otherBytes,
      logBytes,
      snapshotBytes,
      finalBytes,
      otherBytes,
      saves,
      wchar,
      ms,
      msAtSeed,
      bytesAtSeed,
    };
  } finally {
    await store.close();
    removeDir(root);
  }
}

/** What creating a task and taking its lease wrote: the two creation snapshots, the epoch claim, one heartbeat. */
function creationBytes(root: string, taskId: string): number {
  const dir = path.join(root, taskId);
  let total = 0;
  for (const name of fs.readdirSync(dir))
    if (!name.startsWith("log-")) total += fs.statSync(path.join(dir, name)).size;
  // The first <id>.json (replaced by the saves; same size as created.json).
  total += fs.statSync(path.join(dir, "created.json")).size;
  return total;
}

interface SeedJson extends TaskJson {
  outputs: string[];
}

async function runSeed(pieces: string[], count: number) {
  const root = tempDir("seed");
  try {
    const baseTask = makeTask();
    const file = path.join(root, `${baseTask.id}.json`);
    const outputs: string[] = [];
    let bytes = 0;
    const wcharStart = writtenBytes();
    const started = performance.now();
    for (let index = 0; index < count; index++) {
      outputs.push(pieces[index]!);
      const state: SeedJson = { ...baseTask, lastEventId: index + 1, outputs };
      const text = JSON.stringify(state);
      bytes += Buffer.byteLength(text);
      await writeFileAtomic(file, text);
    }
    const ms = performance.now() - started;
    const wchar = wcharSince(wcharStart);
    return { bytes, ms, wchar, baseTask };
  } finally {
    removeDir(root);
  }
}

/**
 * Bytes the seed design writes for every event of `pieces`, without writing:
 * the file after event n is the state with n outputs, so its size is the size
 * of the state with an empty list, plus the JSON of each output, plus commas.
 */
function seedBytesFor(pieces: string[], baseTask: TaskJson): number {
  let total = 0;
  let outputsBytes = 0;
  for (let index = 0; index < pieces.length; index++) {
    outputsBytes += Buffer.byteLength(JSON.stringify(pieces[index])) + (index > 0 ? 1 : 0);
    const empty = Buffer.byteLength(JSON.stringify({ ...baseTask, lastEventId: index + 1, outputs: [] }));
    total += empty + outputsBytes;
  }
  return total;
}
