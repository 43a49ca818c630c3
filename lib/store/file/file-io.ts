import { readFile } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import fs from "node:fs/promises";
import { AppError, errorMessage } from "../../errors";

/** Small filesystem primitives every part of the file store uses. */

export function isCode(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

/** For `.catch()`: a file that is already gone is what the caller wanted. */
export function ignoreMissing(error: unknown): void {
  if (!isCode(error, "ENOENT")) throw error;
}

/** A filesystem failure as the AppError callers see; a full disk is named as such. */
export function storageError(what: string, error: unknown): AppError {
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  const reason = code === "ENOSPC" ? "the disk is full" : errorMessage(error);
  return new AppError("storage_error", `Could not ${what}: ${reason}.`, { cause: error });
}

export async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    // access() only tells whether the file is there.
    return false;
  }
}

/**
 * The callback `readFile`, not `fs/promises`: the promise version opens a
 * FileHandle and takes several promise round trips per file, which a task
 * lookup per SSE request (a thousand at once in a reconnect storm) pays for.
 */
export function readText(file: string): Promise<string | null> {
  return new Promise((resolve, reject) => {
    readFile(file, "utf8", (error, text) => {
      if (!error) resolve(text);
      else if (isCode(error, "ENOENT") || isCode(error, "ENOTDIR")) resolve(null);
      else reject(error);
    });
  });
}

/** Makes the names in `folder` (a create, link or rename) durable. */
export async function syncDirectory(folder: string): Promise<void> {
  const handle = await fs.open(folder, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function openIfExists(file: string): Promise<FileHandle | null> {
  try {
    return await fs.open(file, "r");
  } catch (error) {
    if (isCode(error, "ENOENT")) return null;
    throw error;
  }
}

/**
 * Writes `data` to a file that must not exist yet (`wx`), every byte (the
 * FileHandle writes until done: no short write is taken for the whole), and
 * fsyncs it before closing. For files in a private staging folder that a
 * rename publishes.
 */
export async function writeNewFile(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await fs.open(file, "wx");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** True for the errors of a path whose folder is gone (ENOENT, or ENOTDIR when a part is not a folder). */
export function isMissing(error: unknown): boolean {
  return isCode(error, "ENOENT") || isCode(error, "ENOTDIR");
}
