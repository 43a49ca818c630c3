import "server-only";
import { ConfigError, getConfig } from "../config";
import { installConsoleRedaction } from "../console-redaction";
import { createRedactor, redactorFor } from "../redact";
import { getTaskManager } from "./manager-instance";

/**
 * Server start-up: validates the configuration (a bad variable stops the
 * process with a message naming it), makes everything printed to the console
 * pass the secret redactor, and starts the task manager, so tasks interrupted
 * by a restart resume at boot, not on the first request.
 */
export async function boot(): Promise<void> {
  // Until the configuration is known, only the credential shapes can be removed.
  let redact = createRedactor();
  try {
    const config = getConfig();
    redact = redactorFor(config);
    installConsoleRedaction(redact);
    await getTaskManager();
  } catch (error) {
    const message =
      error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
    console.error(redact(`Fathom cannot start. ${message}`));
    process.exit(1);
  }
}
