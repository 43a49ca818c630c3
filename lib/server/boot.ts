import "server-only";
import { ConfigError, getConfig } from "../config";
import { getTaskManager } from "./manager-instance";

/**
 * Server start-up: validates the configuration (a bad variable stops the
 * process with a message naming it) and starts the task manager, so tasks
 * interrupted by a restart resume at boot, not on the first request.
 */
export async function boot(): Promise<void> {
  try {
    getConfig();
    await getTaskManager();
  } catch (error) {
    const message =
      error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
    console.error(`Fathom cannot start. ${message}`);
    process.exit(1);
  }
}
