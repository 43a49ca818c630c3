import fs from "node:fs/promises";
import type { Lease } from "../types";
import type { FileEpochs } from "./file-epochs";
import { ignoreMissing, syncDirectory } from "./file-io";
import { epochOfFile, type FileLayout } from "./file-layout";
import type { FileLeases } from "./file-leases";

export interface FileCompactionOptions {
  layout: FileLayout;
  epochs: FileEpochs;
  leases: FileLeases;
}

/**
 * Removes whole segments whose events all lie below `beforeEventId`:
 * first the record of the new first epoch (so no reader looks for the old
 * claims), then the old epochs' files. Only the owner writes it, under its
 * lease. A reader with an old segment open keeps reading it (an unlinked
 * file stays readable while open); one that opens it after the unlink skips
 * it, as it skips any missing segment — and only cursors in removed runs,
 * which the stream refuses first, ever lead there.
 */
export async function compactFileLog(
  { layout, epochs, leases }: FileCompactionOptions,
  lease: Lease,
  beforeEventId: number,
): Promise<void> {
  await leases.check(lease);
  const { taskId } = lease;
  const segments = await epochs.segments(taskId);
  let firstEpoch = segments[0]?.epoch ?? 1;
  for (let index = 0; index + 1 < segments.length; index++) {
    // Segment `index` holds ids [its firstId, the next one's firstId).
    if (segments[index + 1]!.firstId > beforeEventId) break;
    firstEpoch = segments[index + 1]!.epoch;
  }
  if (firstEpoch > (await epochs.firstEpoch(taskId))) await epochs.recordFirstEpoch(taskId, firstEpoch);
  epochs.dropBefore(taskId, firstEpoch);
  // Also what an earlier compaction left behind when it was interrupted.
  for (const name of await fs.readdir(layout.taskDir(taskId))) {
    const epoch = epochOfFile(name);
    if (epoch !== null && epoch < firstEpoch) {
      await fs.unlink(layout.taskFile(taskId, name)).catch(ignoreMissing);
    }
  }
  await syncDirectory(layout.taskDir(taskId));
}
