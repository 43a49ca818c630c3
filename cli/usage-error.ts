import type { Command } from "./help";

/** Bad arguments: `fathom` prints the message and the command's usage line, and exits 2 without calling the server. */
export class UsageError extends Error {
  readonly command: Command | null;

  constructor(message: string, command: Command | null) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}
