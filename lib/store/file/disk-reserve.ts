import fs from "node:fs/promises";
import { errorMessage } from "../../errors";
import type { Logger } from "../../log";
import { exists, ignoreMissing } from "./file-io";

/**
 * A little space held back for a full disk: when an append fails with
 * ENOSPC the reserve is freed, so the task can still record that it failed
 * (a status event, a `done` event, a small state file). Recreated when the
 * storage folders are prepared and after each created task.
 */
export class DiskReserve {
  readonly #file: string;
  readonly #bytes: number;
  readonly #logger?: Logger;

  constructor(file: string, bytes: number, logger?: Logger) {
    this.#file = file;
    this.#bytes = bytes;
    this.#logger = logger;
  }

  /** Writes the reserve file unless it is there. */
  async keep(): Promise<void> {
    if (await exists(this.#file)) return;
    await fs.writeFile(this.#file, Buffer.alloc(this.#bytes)).catch((error) => {
      // No room for the reserve: the disk is already full, nothing to hold back.
      this.#logger?.warn("store.reserve_unavailable", { error: errorMessage(error) });
      return fs.unlink(this.#file).catch(() => undefined);
    });
  }

  /** Gives the reserved space back to the disk. */
  async free(): Promise<void> {
    await fs.unlink(this.#file).catch(ignoreMissing);
  }
}
