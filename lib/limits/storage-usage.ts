import fs from "node:fs/promises";
import path from "node:path";

/** Options of `StorageUsage`. */
export interface StorageUsageOptions {
  /** Measures the bytes in use (a folder walk, Redis memory…). */
  measure: () => Promise<number>;
  /** A measurement is reused for this long, in ms. Default 10 s. */
  maxAgeMs?: number;
  /** Monotonic clock in ms. Default `performance.now`. */
  now?: () => number;
}

/**
 * The storage in use, measured at most every `maxAgeMs`: walking 10,000
 * task folders on every request would cost more than the request. The first
 * call waits for a measurement; later calls answer at once with the last one
 * and start a new measurement in the background when it is stale, so the
 * figure lags by at most one measurement (concurrent callers share it).
 */
export class StorageUsage {
  readonly #measure: () => Promise<number>;
  readonly #maxAgeMs: number;
  readonly #now: () => number;
  #last: { bytes: number; at: number } | null = null;
  #measuring: Promise<number> | null = null;

  constructor(options: StorageUsageOptions) {
    this.#measure = options.measure;
    this.#maxAgeMs = options.maxAgeMs ?? 10_000;
    this.#now = options.now ?? (() => performance.now());
  }

  async bytes(): Promise<number> {
    const last = this.#last;
    if (last && this.#now() - last.at < this.#maxAgeMs) return last.bytes;
    const measuring = this.#refresh();
    return last ? last.bytes : measuring;
  }

  /** Forgets the last measurement (after this process freed or wrote a lot). */
  invalidate(): void {
    this.#last = null;
  }

  #refresh(): Promise<number> {
    this.#measuring ??= this.#measure()
      .then((bytes) => {
        this.#last = { bytes, at: this.#now() };
        return bytes;
      })
      .finally(() => {
        this.#measuring = null;
      });
    return this.#measuring;
  }
}

/**
 * Bytes of the files under `root` (allocated blocks where the filesystem says,
 * else sizes), leaving out the folders in `exclude`. Entries that vanish
 * during the walk — a task deleted meanwhile — are skipped; a missing root is 0.
 */
export async function directoryBytes(root: string, exclude: readonly string[] = []): Promise<number> {
  const skipped = new Set(exclude.map((folder) => path.resolve(folder)));
  let total = 0;
  const pending = [root];
  while (pending.length > 0) {
    const folder = pending.pop() as string;
    let entries: import("node:fs").Dirent[];
    try {
      entries = await fs.readdir(folder, { withFileTypes: true });
    } catch (error) {
      if (isVanished(error)) continue;
      throw error;
    }
    const files: string[] = [];
    for (const entry of entries) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        if (!skipped.has(path.resolve(full))) pending.push(full);
      } else if (entry.isFile()) files.push(full);
    }
    const sizes = await Promise.all(
      files.map((file) =>
        fs.stat(file).then(
          (stat) => (stat.blocks > 0 ? stat.blocks * 512 : stat.size),
          (error: unknown) => {
            if (isVanished(error)) return 0;
            throw error;
          },
        ),
      ),
    );
    for (const size of sizes) total += size;
  }
  return total;
}

function isVanished(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR";
}
