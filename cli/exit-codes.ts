/**
 * The exit codes of `fathom` (README, "The command line"). Scripts rely on
 * them: change one only with the README.
 */
export const EXIT = {
  /** The research completed (`research`, `attach`), or the command did what it was asked. */
  ok: 0,
  /** The task failed or was cancelled, or the server refused the request (a 4xx: unknown task, a 409…). */
  failed: 1,
  /** Bad arguments or options; nothing was sent. */
  usage: 2,
  /** The server could not be reached (or kept answering 5xx/429) for longer than `--wait-server`. */
  unreachable: 3,
  /**
   * Ctrl-C (or stdout closed by its reader): detached from the task, which
   * keeps running on the server (128 + SIGINT, as shells expect).
   */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
