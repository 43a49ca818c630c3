/**
 * Runs once when the server starts: validates the configuration (a bad
 * variable stops start-up with a message naming it) and starts the task
 * manager, so tasks interrupted by a restart resume at boot, not on the
 * first request.
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { getConfig, ConfigError } = await import("./lib/config");
  try {
    getConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Fathom cannot start. ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  const { getTaskManager } = await import("./lib/tasks/manager-instance");
  try {
    await getTaskManager();
  } catch (error) {
    console.error(`Fathom cannot start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
