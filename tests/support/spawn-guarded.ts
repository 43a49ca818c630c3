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

/**
 * Polls `ready` every 25 ms until it answers true; fails with the child's
 * `output` when the child exits first or `timeoutMs` passes (`what` names
 * the child and what was awaited in that error).
 */
export async function waitUntilReady(
  child: ChildProcess,
  ready: () => Promise<boolean>,
  output: () => string,
  what: { name: string; notReady: string },
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what.name} exited with ${child.exitCode}:\n${output()}`);
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${what.name} ${what.notReady}:\n${output()}`);
}

/** Stops a child still running with `signal`, then SIGKILL after 5 s; resolves once it has exited. */
export async function stopChild(child: ChildProcess | null, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill(signal);
  const timeout = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timeout);
}
