/**
 * `fathom`: the command line of the Fathom HTTP API (README, "The command
 * line"), a program on the typed client (lib/client) and nothing else of the
 * server. Run from a checkout with `npm run fathom -- …`, installed as the
 * package's `fathom` bin (bin/fathom.mjs).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Writable } from "node:stream";
import { ApiError } from "../lib/client/api-error";
import { createFathomClient, type FathomClient } from "../lib/client/fathom-client";
import { type Connection, type Invocation, parseInvocation } from "./arguments";
import { EXIT, type ExitCode } from "./exit-codes";
import { followTask, untilReachable } from "./follow-task";
import { commandHelp, generalHelp } from "./help";
import { ProgressReporter } from "./progress-reporter";
import { UsageError } from "./usage-error";

/** What `main` reads and writes: the process's, or a test's. */
export interface CliIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
  /** Calls `handler` on Ctrl-C (SIGINT) until the returned function is called. */
  onInterrupt: (handler: () => void) => () => void;
}

const processIo = (): CliIo => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  onInterrupt: (handler) => {
    let interrupted = false;
    const listener = () => {
      // A second Ctrl-C while the first is being handled leaves at once.
      if (interrupted) process.exit(EXIT.interrupted);
      interrupted = true;
      handler();
    };
    process.on("SIGINT", listener);
    return () => process.off("SIGINT", listener);
  },
});

function clientFor(connection: Connection): FathomClient {
  return createFathomClient({
    baseUrl: connection.server,
    token: connection.token,
    messages: { unreachable: `The Fathom server at ${connection.server} can't be reached.` },
    // A restarted server is back within seconds: don't let the backoff grow to half a minute.
    backoff: { baseMs: 500, maxMs: 5000 },
  });
}

/** Runs `fathom` with `argv` (without node and the script) and resolves to its exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<ExitCode> {
  let invocation: Invocation;
  try {
    invocation = parseInvocation(argv, io.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const usage = (error.command ? commandHelp[error.command] : generalHelp).split("\n")[0];
    io.stderr.write(
      `fathom: ${error.message}\n${usage}\nRun "fathom ${error.command ? `${error.command} ` : ""}--help" for more.\n`,
    );
    return EXIT.usage;
  }
  if (invocation.kind === "help") {
    io.stdout.write(invocation.command ? commandHelp[invocation.command] : generalHelp);
    return EXIT.ok;
  }

  const quiet = "quiet" in invocation ? invocation.quiet : false;
  const reporter = new ProgressReporter(io.stderr, { quiet });
  const client = clientFor(invocation.connection);
  const interrupt = new AbortController();
  let taskId: string | null = "taskId" in invocation ? invocation.taskId : null;
  const stopListening = io.onInterrupt(() => interrupt.abort(new Error("interrupted")));
  // A reader that went away (`fathom research … | head`) detaches like Ctrl-C instead of crashing on EPIPE.
  const stdoutClosed = new Error("stdout closed");
  const onStdoutError = () => interrupt.abort(stdoutClosed);
  io.stdout.on("error", onStdoutError);
  try {
    return await run(invocation, client, io, reporter, interrupt.signal, (id) => {
      taskId = id;
    });
  } catch (error) {
    if (interrupt.signal.aborted) {
      const why = interrupt.signal.reason === stdoutClosed ? "Stdout was closed. " : "";
      reporter.important(
        taskId && (invocation.kind === "research" || invocation.kind === "attach")
          ? `${why}Detached; the research continues on the server. Come back with: fathom attach ${taskId}`
          : `${why}Interrupted.`,
      );
      return EXIT.interrupted;
    }
    if (error instanceof ApiError) {
      reporter.important(`fathom: ${error.message}`);
      return error.retryable ? EXIT.unreachable : EXIT.failed;
    }
    throw error;
  } finally {
    stopListening();
    io.stdout.off("error", onStdoutError);
  }
}

async function run(
  invocation: Exclude<Invocation, { kind: "help" }>,
  client: FathomClient,
  io: CliIo,
  reporter: ProgressReporter,
  signal: AbortSignal,
  onTask: (id: string) => void,
): Promise<ExitCode> {
  const waitMs = invocation.connection.waitServerMs;
  const reachable = <T>(call: () => Promise<T>) => untilReachable(call, { waitMs, signal, reporter });
  switch (invocation.kind) {
    case "research": {
      const created = await reachable(() => client.startResearch(invocation.request, { signal }));
      onTask(created.taskId);
      reporter.notice(
        `${created.created ? "Started" : "Joined"} task ${created.taskId} (${created.status}): ${client.url(created.links.page)}`,
      );
      return followTask(client, created.taskId, {
        stdout: io.stdout,
        reporter,
        signal,
        waitServerMs: waitMs,
      });
    }
    case "attach":
      return followTask(client, invocation.taskId, {
        stdout: io.stdout,
        reporter,
        signal,
        waitServerMs: waitMs,
      });
    case "list": {
      const page = await reachable(() =>
        client.listTasks({ status: invocation.status, limit: invocation.limit, signal }),
      );
      if (invocation.json) {
        io.stdout.write(`${JSON.stringify(page, null, 2)}\n`);
        return EXIT.ok;
      }
      const now = Date.now();
      for (const task of page.tasks) {
        const progress = `${Math.round(task.progress)}%`.padStart(4);
        const age = formatAge(now - Date.parse(task.createdAt));
        io.stdout.write(
          `${task.id}  ${task.status.padEnd(9)} ${progress}  ${age.padStart(4)}  ${oneLine(task.query)}\n`,
        );
      }
      reporter.notice(`${page.tasks.length} of ${page.total} task${page.total === 1 ? "" : "s"}.`);
      return EXIT.ok;
    }
    case "cancel": {
      // Cancelling is idempotent: a retry after a lost answer is harmless.
      const task = await reachable(() => client.control(invocation.taskId, "cancel"));
      io.stdout.write(`${task.id} ${task.status}\n`);
      return EXIT.ok;
    }
    case "export": {
      const file = await reachable(() =>
        client.exportReport(invocation.taskId, invocation.format, { signal }),
      );
      if (invocation.output === "-") {
        io.stdout.write(file.bytes);
        return EXIT.ok;
      }
      // The server's name is a bare ASCII file name (Content-Disposition); the client refuses one with a path.
      const target = invocation.output ?? path.basename(file.filename);
      await writeFile(target, file.bytes);
      reporter.notice(`Saved ${target} (${file.bytes.byteLength} bytes, ${file.contentType}).`);
      return EXIT.ok;
    }
  }
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
}

function formatAge(ms: number): string {
  const minutes = Math.floor(Math.max(0, ms) / 60_000);
  if (minutes < 1) return "now";
  if (minutes < 60) return `${minutes}m`;
  if (minutes < 48 * 60) return `${Math.floor(minutes / 60)}h`;
  return `${Math.floor(minutes / 1440)}d`;
}
