/**
 * Section 8 — the cost of DURABILITY=fsync.
 *
 * One FileTaskStore per mode in a temporary folder (on the same disk), one
 * task each, the same `output` events appended in the same run:
 *
 * - sequential: one append at a time, each awaited (how one runner writes);
 *   with `fsync` every append waits for its own fsync.
 * - concurrent: `tasks` tasks appending at once, one append each per round
 *   (several runners in one process); with `fsync` the appends written in
 *   one tick share an fsync per segment (group commit).
 *
 * Events per second are wall-clock over the whole batch; the ratio is
 * fsync ÷ none. Figures depend on the disk: on a tmpfs fsync costs nothing,
 * on a network volume far more than here.
 */
import { FileTaskStore } from "../lib/store/file/file-store";
import type { Lease } from "../lib/store/types";
import { figure, makeTask, removeDir, reportPieces, type SectionResult, tempDir } from "./support";

export interface DurabilityBenchOptions {
  /** Events appended one by one per mode (default 2,000). */
  events?: number;
  /** Tasks appending at once in the concurrent run (default 8). */
  tasks?: number;
  /** Rounds of the concurrent run (one append per task each; default 250). */
  rounds?: number;
}

type Mode = "none" | "fsync";

export async function benchDurability(options: DurabilityBenchOptions = {}): Promise<SectionResult> {
  const events = options.events ?? 2000;
  const tasks = options.tasks ?? 8;
  const rounds = options.rounds ?? 250;
  const pieces = reportPieces(Math.max(events, rounds), 11);
  const sequential: Record<Mode, number> = { none: 0, fsync: 0 };
  const concurrent: Record<Mode, number> = { none: 0, fsync: 0 };
  for (const mode of ["none", "fsync"] as const) {
    sequential[mode] = await runSequential(mode, pieces.slice(0, events));
    concurrent[mode] = await runConcurrent(mode, pieces.slice(0, rounds), tasks);
  }
  return {
    figures: [
      figure("sequential appends, DURABILITY=none", sequential.none, "events/s"),
      figure("sequential appends, DURABILITY=fsync", sequential.fsync, "events/s", {
        note: `${events} events, one awaited append each`,
      }),
      figure("fsync ÷ none, sequential", sequential.fsync / sequential.none, "×"),
      figure(`${tasks} tasks at once, DURABILITY=none`, concurrent.none, "events/s"),
      figure(`${tasks} tasks at once, DURABILITY=fsync`, concurrent.fsync, "events/s", {
        note: `${rounds} rounds × ${tasks} appends; one fsync per segment per tick`,
      }),
      figure("fsync ÷ none, concurrent", concurrent.fsync / concurrent.none, "×"),
    ],
    notes: ["fsync: an event is on disk before the append returns and before any reader sees it"],
  };
}

async function openTask(store: FileTaskStore): Promise<Lease> {
  const task = makeTask({ id: randomId() });
  await store.createTask(task);
  const lease = await store.acquireLease(task.id, "bench");
  if (!lease) throw new Error("could not take the lease of a new task");
  return lease;
}

async function runSequential(mode: Mode, pieces: string[]): Promise<number> {
  const root = tempDir(`durability-${mode}`);
  const store = new FileTaskStore({ root, leaseTtlMs: 600_000, pollMs: 250, durability: mode });
  try {
    const lease = await openTask(store);
    const started = performance.now();
    for (const text of pieces) await store.append(lease, [{ event: { type: "output", data: { text } } }]);
    return pieces.length / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
    removeDir(root);
  }
}

async function runConcurrent(mode: Mode, pieces: string[], tasks: number): Promise<number> {
  const root = tempDir(`durability-${mode}-many`);
  const store = new FileTaskStore({ root, leaseTtlMs: 600_000, pollMs: 250, durability: mode });
  try {
    const leases: Lease[] = [];
    for (let index = 0; index < tasks; index++) leases.push(await openTask(store));
    const started = performance.now();
    await Promise.all(
      leases.map(async (lease) => {
        for (const text of pieces) await store.append(lease, [{ event: { type: "output", data: { text } } }]);
      }),
    );
    return (pieces.length * tasks) / ((performance.now() - started) / 1000);
  } finally {
    await store.close();
    removeDir(root);
  }
}

function randomId(): string {
  return Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join("");
}
