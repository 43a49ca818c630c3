import { format } from "node:util";
import type { Redact } from "./redact";

const installed = Symbol.for("fathom.consoleRedaction");
type Flagged = { [installed]?: boolean };

/**
 * Routes `console.log/info/warn/error/debug` through the redactor. Fathom's
 * own lines go through the logger (which redacts), but Next.js prints what it
 * catches itself — an error thrown while rendering a page, with its message
 * and stack — straight to the console. Formatting first (util.format, what
 * console does anyway) lets the redactor see the whole line, errors and
 * objects included. Installed once per process, at boot.
 */
export function installConsoleRedaction(redact: Redact, target: Console = console): void {
  const flagged = target as Console & Flagged;
  if (flagged[installed]) return;
  flagged[installed] = true;
  for (const method of ["log", "info", "warn", "error", "debug"] as const) {
    const original = target[method].bind(target);
    target[method] = (...args: unknown[]) => {
      if (args.length === 0) return original();
      original(redact(format(...args)));
    };
  }
}
