import { type ChildProcess, type SpawnOptions, spawn, spawnSync } from "node:child_process";

/**
 * Every process a test (or the bench) starts must die with it — also when a
 * test times out, fails, or the test runner itself is killed. Two guards:
 *
 * - `setpriv --pdeathsig SIGKILL` (util-linux) makes the kernel kill the
 *   child when the process that spawned it dies, however it dies. setpriv
 *   execs the command, so the child's pid is the command's own (signals sent
 *   to it in tests — SIGKILL, SIGSTOP — reach the real process).
 * - On a normal exit of this process, every child still running is killed.
 */
const hasSetpriv =
  process.platform === "linux" && spawnSync("setpriv", ["--pdeathsig", "SIGKILL", "true"]).status === 0;

const running = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of running) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

export function spawnGuarded(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  const [file, argv] = hasSetpriv
    ? ["setpriv", ["--pdeathsig", "SIGKILL", "--", command, ...args]]
    : [command, [...args]];
  const child = spawn(file, argv, options);
  running.add(child);
  child.once("exit", () => running.delete(child));
  if (!hooked) {
    hooked = true;
    process.once("exit", killAll);
  }
  return child;
}
