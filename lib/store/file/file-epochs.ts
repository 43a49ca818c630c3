import writeFileAtomic from "write-file-atomic";
import { z } from "zod";
import { AppError } from "../../errors";
import { parseJson } from "../../parse-json";
import { readText } from "./file-io";
import type { FileLayout } from "./file-layout";

/**
 * Epoch claims, the file store's fencing numbers (docs/ARCHITECTURE.md,
 * Fencing): `<id>/epoch-<N>.json` records where segment N-1 ends, so the
 * claims alone say which bytes of which segment a reader may read.
 */

export const epochJsonSchema = z.object({
  epoch: z.number().int().positive(),
  ownerId: z.string(),
  /** Where the previous epoch's segment ends, and its last event id. */
  sealedAt: z.object({ offset: z.number().int().nonnegative(), lastEventId: z.number().int().nonnegative() }),
});
export type EpochJson = z.infer<typeof epochJsonSchema>;

/** `<id>/compacted.json`: epochs below `firstEpoch` were removed with their segments. */
const compactedFileSchema = z.object({ firstEpoch: z.number().int().positive() });

/** One segment's readable extent: its first event id and its end (null: up to its last newline). */
export interface Segment {
  epoch: number;
  firstId: number;
  end: number | null;
}

/** Reads a task's epoch claims, caching the ones it has seen (claims never change). */
export class FileEpochs {
  readonly #layout: FileLayout;
  readonly #cache = new Map<string, EpochJson[]>();

  constructor(layout: FileLayout) {
    this.#layout = layout;
  }

  /**
   * Every epoch claim of a task that compaction kept, in order. Claims never
   * change, so known ones are cached (a cached list may still name compacted
   * epochs: their segments are gone, and readers skip missing segments).
   */
  async list(taskId: string): Promise<EpochJson[]> {
    let known = this.#cache.get(taskId) ?? [];
    const newest = known.at(-1);
    if (newest) {
      // A task deleted and created again (same fingerprint) starts its epochs over.
      const text = await readText(this.#layout.epochPath(taskId, newest.epoch));
      const claim = text === null ? null : parseJson(text, epochJsonSchema);
      if (!claim || claim.ownerId !== newest.ownerId || claim.sealedAt.offset !== newest.sealedAt.offset)
        known = [];
    }
    const epochs = [...known];
    const first = epochs.length > 0 ? epochs[0]!.epoch : await this.firstEpoch(taskId);
    for (let next = first + epochs.length; ; next++) {
      const text = await readText(this.#layout.epochPath(taskId, next));
      if (text === null) break;
      const parsed = parseJson(text, epochJsonSchema);
      if (!parsed) throw new AppError("storage_error", `Epoch claim ${next} of task ${taskId} is damaged.`);
      epochs.push(parsed);
    }
    this.#cache.set(taskId, epochs);
    return epochs;
  }

  /** Notes a claim this process just made (after `epochs`, the list it was made on). */
  claimed(taskId: string, epochs: EpochJson[], claim: EpochJson): void {
    this.#cache.set(taskId, [...epochs, claim]);
  }

  /** Forgets a deleted task's claims. */
  forget(taskId: string): void {
    this.#cache.delete(taskId);
  }

  /** The readable extent of each segment, in order. */
  async segments(taskId: string): Promise<Segment[]> {
    const epochs = await this.list(taskId);
    return epochs.map((claim, index) => {
      const next = epochs[index + 1];
      return {
        epoch: claim.epoch,
        firstId: claim.sealedAt.lastEventId + 1,
        end: next ? next.sealedAt.offset : null,
      };
    });
  }

  /** The first epoch compaction kept (1 when the task was never compacted). */
  async firstEpoch(taskId: string): Promise<number> {
    const text = await readText(this.#layout.taskFile(taskId, "compacted.json"));
    if (text === null) return 1;
    const parsed = parseJson(text, compactedFileSchema);
    if (!parsed) throw new AppError("storage_error", `The compaction record of task ${taskId} is damaged.`);
    return parsed.firstEpoch;
  }

  /**
   * Records that epochs below `firstEpoch` are gone: compaction removed
   * them, or the task was created again after a delete and its epochs
   * continue above the deleted one's. Written atomically and fsynced.
   */
  async recordFirstEpoch(taskId: string, firstEpoch: number): Promise<void> {
    await writeFileAtomic(this.#layout.taskFile(taskId, "compacted.json"), JSON.stringify({ firstEpoch }), {
      fsync: true,
    });
  }

  /** Drops cached claims below `firstEpoch` (compacted away). */
  dropBefore(taskId: string, firstEpoch: number): void {
    this.#cache.set(
      taskId,
      (this.#cache.get(taskId) ?? []).filter((claim) => claim.epoch >= firstEpoch),
    );
  }
}
