import { createRedactor, type Redact, redactValue } from "./redact";

/**
 * Structured logs: one line per lifecycle event, JSON in production and
 * readable text in development. Never pass a secret or a whole report: every
 * line goes through the redactor anyway (event name and every field, however
 * deep), as the last line of defence.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";
const order: Record<LogLevel | "silent", number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  child(fields: LogFields): Logger;
}

export interface LoggerOptions {
  level: LogLevel | "silent";
  format: "json" | "pretty";
  write?: (line: string) => void;
  now?: () => Date;
  /** Removes secrets from every string of a line. Default: credential shapes only (`createRedactor()`). */
  redact?: Redact;
}

export function createLogger(options: LoggerOptions, bound: LogFields = {}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const redact = options.redact ?? createRedactor();
  const emit = (level: LogLevel, event: string, fields?: LogFields) => {
    if (order[level] < order[options.level]) return;
    const values = redactValue({ ...bound, ...fields }, redact) as LogFields;
    const record = { time: now().toISOString(), level, event: redact(event), ...values };
    if (options.format === "json") {
      write(JSON.stringify(record));
      return;
    }
    const extras = Object.entries(values)
      .map(([key, value]) => `${key}=${typeof value === "string" ? value : JSON.stringify(value)}`)
      .join(" ");
    write(`${record.time.slice(11, 23)} ${level.toUpperCase().padEnd(5)} ${record.event} ${extras}`);
  };
  return {
    debug: (event, fields) => emit("debug", event, fields),
    info: (event, fields) => emit("info", event, fields),
    warn: (event, fields) => emit("warn", event, fields),
    error: (event, fields) => emit("error", event, fields),
    child: (fields) => createLogger({ ...options, redact }, { ...bound, ...fields }),
  };
}

/** A logger that drops everything (tests, tools). */
export const silentLogger: Logger = createLogger({ level: "silent", format: "json", write: () => {} });
