import { afterAll } from "vitest";

/**
 * A FileHandle left to the garbage collector is a descriptor leak (and in a
 * later Node a crash: DEP0137). Node only warns, so every test file turns the
 * warning into a failure: the file that leaked fails, not a silent log line.
 */
const leaks: string[] = [];

function isDescriptorWarning(warning: Error & { code?: string }): boolean {
  return (
    warning.code === "DEP0137" || /Closing file descriptor \d+ on garbage collection/.test(warning.message)
  );
}

process.on("warning", (warning: Error & { code?: string }) => {
  if (isDescriptorWarning(warning)) leaks.push(warning.message);
});

afterAll(async () => {
  // Unreferenced handles are only noticed on a collection: force one when the
  // runner exposes it, so a leak in this file is reported in this file.
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setImmediate(resolve));
  if (leaks.length > 0) {
    throw new Error(`A FileHandle was closed by the garbage collector (a leak): ${leaks.join("; ")}`);
  }
});
