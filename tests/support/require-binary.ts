import { describe, it } from "vitest";

/**
 * A suite that needs a program a fresh machine may lack (Chromium,
 * redis-server): without it the suite skips with a message, and on CI
 * (`CI=true`), where `.ci/run` installs it, the skip is a failing test instead.
 */
export function requireBinary(suite: string, available: boolean, message: string): void {
  if (available) return;
  if (process.env.CI === "true") {
    describe(suite, () => {
      it("has the program it needs", () => {
        throw new Error(`${message} It is missing on CI, where it must be installed.`);
      });
    });
  } else {
    console.warn(`\n[${suite}] SKIPPED: ${message}\n`);
  }
}
