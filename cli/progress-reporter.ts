/** The part of a stream the reporter writes to (`process.stderr`, or a test's fake). */
export interface ReporterStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** What the bar shows: the latest of each, from the snapshot and the events. */
interface ProgressState {
  status: string;
  percentage: number;
  step: string | undefined;
  message: string | undefined;
}

const BAR_WIDTH = 24;
const CLEAR_LINE = "\r\x1b[2K";

/**
 * Progress on stderr. On a terminal one line redrawn in place (a bar, the
 * percentage, the status and the step's message); anywhere else (a pipe, a
 * file, a CI log) plain lines, one per change, with no control characters.
 * Notices (reconnecting, detached…) are lines in both. The report itself is
 * never written here: stdout has the report and nothing else.
 */
export class ProgressReporter {
  readonly #stream: ReporterStream;
  readonly #tty: boolean;
  readonly #quiet: boolean;
  #state: ProgressState = { status: "queued", percentage: 0, step: undefined, message: undefined };
  #lastLine = "";
  #barShown = false;

  constructor(stream: ReporterStream, options: { quiet?: boolean; tty?: boolean } = {}) {
    this.#stream = stream;
    this.#tty = options.tty ?? stream.isTTY === true;
    this.#quiet = options.quiet ?? false;
  }

  get tty(): boolean {
    return this.#tty;
  }

  /** Applies what an event or snapshot says and shows the change. */
  update(change: Partial<ProgressState>): void {
    const next = { ...this.#state };
    for (const [key, value] of Object.entries(change)) {
      if (value !== undefined) (next as Record<string, unknown>)[key] = value;
    }
    next.percentage = Math.max(0, Math.min(100, Math.round(next.percentage)));
    this.#state = next;
    if (this.#quiet) return;
    if (this.#tty) {
      this.#drawBar();
      return;
    }
    const line = this.#plainLine();
    if (line !== this.#lastLine) {
      this.#lastLine = line;
      this.#stream.write(`${line}\n`);
    }
  }

  /** A line of its own (a notice): on a terminal above the bar, which is drawn again below it. */
  notice(text: string): void {
    if (this.#quiet) return;
    if (this.#tty && this.#barShown) {
      this.#stream.write(`${CLEAR_LINE}${text}\n`);
      this.#drawBar();
      return;
    }
    this.#stream.write(`${text}\n`);
  }

  /** A notice shown even with `--quiet` (errors, the hint after Ctrl-C). */
  important(text: string): void {
    this.clear();
    this.#stream.write(`${text}\n`);
  }

  /** Removes the bar (before the terminal gets other text, or at the end). */
  clear(): void {
    if (this.#tty && this.#barShown) {
      this.#stream.write(CLEAR_LINE);
      this.#barShown = false;
    }
  }

  /** Draws the bar again after `clear()`. */
  redraw(): void {
    if (this.#tty && !this.#quiet) this.#drawBar();
  }

  #plainLine(): string {
    const { status, percentage, step, message } = this.#state;
    const what = [step, message].filter(Boolean).join(": ");
    return `[${String(percentage).padStart(3)}%] ${status}${what ? ` · ${what}` : ""}`;
  }

  #drawBar(): void {
    const { status, percentage, step, message } = this.#state;
    const filled = Math.round((percentage / 100) * BAR_WIDTH);
    const bar = `${"█".repeat(filled)}${"░".repeat(BAR_WIDTH - filled)}`;
    const what = [step, message].filter(Boolean).join(": ");
    let line = `${bar} ${String(percentage).padStart(3)}% ${status}${what ? ` · ${what}` : ""}`;
    // One terminal row: a wrapped line could not be redrawn in place.
    const columns = Math.max(20, (this.#stream.columns || 80) - 1); // 0: a terminal that did not say its size
    if ([...line].length > columns) line = `${[...line].slice(0, columns - 1).join("")}…`;
    this.#stream.write(`${CLEAR_LINE}${line}`);
    this.#barShown = true;
  }
}
