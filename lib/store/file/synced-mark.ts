import type { FileHandle } from "node:fs/promises";

/**
 * `synced-<N>` under DURABILITY=fsync: how far segment N is on disk. Its
 * owner publishes the offset after each fsync; readers in other processes
 * read the open segment only up to there, so they never relay bytes that a
 * power loss could still take back.
 */

const MARK_WIDTH = 16;

/** Overwrites the fixed-width durable offset in place (one small write, never torn across a number). */
export async function writeMark(mark: FileHandle, offset: number): Promise<void> {
  const text = `${String(offset).padStart(MARK_WIDTH, "0")}\n`;
  await mark.write(text, 0, "utf8");
}

/** The offset a mark file holds; 0 when there is none or it is unreadable. */
export function parseMark(text: string | null): number {
  const value = text === null ? Number.NaN : Number.parseInt(text.trim(), 10);
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}
