import { parseArgs } from "node:util";
import { z } from "zod";
import { exportFormats } from "../lib/model/export-format";
import { llmProviders, researchRequestSchema, searchProviders } from "../lib/model/request";
import { isTaskId, taskStatuses } from "../lib/model/task-json";
import { type Command, commands } from "./help";
import { UsageError } from "./usage-error";

/** Every option of every command, so options may come before or after the command. */
const optionSpecs = {
  server: { type: "string" },
  token: { type: "string" },
  "wait-server": { type: "string" },
  help: { type: "boolean", short: "h" },
  quiet: { type: "boolean" },
  depth: { type: "string" },
  breadth: { type: "string" },
  llm: { type: "string" },
  model: { type: "string" },
  search: { type: "string" },
  collection: { type: "string" },
  language: { type: "string" },
  fresh: { type: "boolean" },
  status: { type: "string" },
  limit: { type: "string" },
  json: { type: "boolean" },
  format: { type: "string" },
  output: { type: "string", short: "o" },
} as const;
type OptionName = keyof typeof optionSpecs;

const globalOptions: OptionName[] = ["server", "token", "wait-server", "help"];
const commandOptions: Record<Command, OptionName[]> = {
  research: ["quiet", "depth", "breadth", "llm", "model", "search", "collection", "language", "fresh"],
  attach: ["quiet"],
  list: ["status", "limit", "json"],
  cancel: [],
  export: ["format", "output"],
};

/** Where and how to reach the server. */
export interface Connection {
  server: string;
  token: string | undefined;
  /** How long to keep trying an unreachable server, in ms. */
  waitServerMs: number;
}

export type Invocation =
  | { kind: "help"; command: Command | null }
  | {
      kind: "research";
      connection: Connection;
      quiet: boolean;
      request: z.output<typeof researchRequestSchema>;
    }
  | { kind: "attach"; connection: Connection; quiet: boolean; taskId: string }
  | {
      kind: "list";
      connection: Connection;
      status: (typeof taskStatuses)[number][] | undefined;
      limit: number;
      json: boolean;
    }
  | { kind: "cancel"; connection: Connection; taskId: string }
  | {
      kind: "export";
      connection: Connection;
      taskId: string;
      format: (typeof exportFormats)[number];
      output: string | undefined;
    };

const wholeNumber = (option: string) =>
  z.string().regex(/^\d+$/, `--${option} expects a whole number`).transform(Number);

const serverSchema = z
  .url({ protocol: /^https?$/, error: "expected an http(s) URL such as http://localhost:3000" })
  .transform((url) => url.replace(/\/+$/, ""));

const connectionSchema = z.object({
  server: serverSchema,
  token: z
    .string()
    .optional()
    .transform((token) => token || undefined),
  waitServer: z
    .string()
    .regex(/^\d+(\.\d+)?$/, "--wait-server expects a number of seconds")
    .transform(Number)
    .pipe(z.number().max(86_400, "--wait-server must be at most 86400 seconds (a day)")),
});

const listSchema = z.object({
  status: z
    .string()
    .transform((value) => value.split(",").map((part) => part.trim()))
    .pipe(
      z.array(z.enum(taskStatuses, { error: `--status expects statuses among ${taskStatuses.join(", ")}` })),
    )
    .optional(),
  limit: wholeNumber("limit")
    .pipe(z.number().min(1, "--limit must be at least 1").max(200, "--limit must be at most 200"))
    .default(20),
});

const exportSchema = z.object({
  format: z
    .enum(exportFormats, { error: `--format expects one of ${exportFormats.join(", ")}` })
    .default("md"),
  output: z.string().min(1, "--output must not be empty").optional(),
});

const researchOptionsSchema = z.object({
  depth: wholeNumber("depth").optional(),
  breadth: wholeNumber("breadth").optional(),
  llm: z.enum(llmProviders, { error: `--llm expects one of ${llmProviders.join(", ")}` }).optional(),
  model: z.string().optional(),
  search: z
    .enum(searchProviders, { error: `--search expects one of ${searchProviders.join(", ")}` })
    .optional(),
  collection: z.string().optional(),
  language: z.string().optional(),
  fresh: z.boolean().optional(),
});

/** The first issue of a zod error as one sentence (`--depth: …`). */
function firstIssue(error: z.ZodError, prefix = ""): string {
  const issue = error.issues[0];
  if (!issue) return "invalid arguments";
  const head = String(issue.path[0] ?? "");
  const name = head === "query" ? "question" : head in optionSpecs ? `--${head}` : head;
  const path = issue.path.length > 0 ? `${[name, ...issue.path.slice(1)].join(".")}: ` : "";
  return `${prefix}${path}${issue.message}`;
}

function parseWith<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  command: Command,
  prefix?: string,
): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(firstIssue(parsed.error, prefix), command);
  return parsed.data;
}

function taskIdArgument(positionals: string[], command: Command): string {
  if (positionals.length !== 1) {
    throw new UsageError(`${command} expects one task id, got ${positionals.length} arguments`, command);
  }
  const id = positionals[0]!;
  if (!isTaskId(id)) throw new UsageError(`not a task id (32 hex digits): ${JSON.stringify(id)}`, command);
  return id;
}

/**
 * Reads `fathom`'s arguments (node:util parseArgs, then zod): the command,
 * its options and the connection, or a `UsageError` naming the problem.
 * Nothing here touches the network.
 */
export function parseInvocation(argv: string[], env: Record<string, string | undefined>): Invocation {
  const parse = () =>
    parseArgs({ args: argv, options: optionSpecs, allowPositionals: true, strict: true, tokens: true });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error), null);
  }
  const { values, positionals, tokens } = parsed;
  const [name, ...rest] = positionals;
  if (name === undefined || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic !== undefined && !commands.includes(topic as Command)) {
      throw new UsageError(`unknown command ${JSON.stringify(topic)}`, null);
    }
    if (name === undefined && !values.help) throw new UsageError("a command is missing", null);
    return { kind: "help", command: (topic as Command | undefined) ?? null };
  }
  if (!commands.includes(name as Command)) {
    throw new UsageError(`unknown command ${JSON.stringify(name)} (commands: ${commands.join(", ")})`, null);
  }
  const command = name as Command;
  if (values.help) return { kind: "help", command };
  const allowed = new Set<string>([...globalOptions, ...commandOptions[command]]);
  for (const token of tokens) {
    if (token.kind === "option" && !allowed.has(token.name)) {
      throw new UsageError(`--${token.name} is not an option of ${command}`, command);
    }
  }

  const connectionInput = {
    server: values.server ?? env.FATHOM_URL ?? "http://localhost:3000",
    token: values.token ?? env.FATHOM_API_TOKEN,
    waitServer: values["wait-server"] ?? "60",
  };
  const source =
    values.server !== undefined ? "--server" : env.FATHOM_URL !== undefined ? "FATHOM_URL" : "server";
  const parsedConnection = connectionSchema.safeParse(connectionInput);
  if (!parsedConnection.success) {
    const issue = parsedConnection.error.issues[0]!;
    const field =
      issue.path[0] === "server" ? source : issue.path[0] === "waitServer" ? "--wait-server" : "--token";
    throw new UsageError(`${field}: ${issue.message}`, command);
  }
  const connection: Connection = {
    server: parsedConnection.data.server,
    token: parsedConnection.data.token,
    waitServerMs: parsedConnection.data.waitServer * 1000,
  };

  switch (command) {
    case "research": {
      const options = parseWith(researchOptionsSchema, values, command);
      const query = rest.join(" ");
      if (query.trim() === "")
        throw new UsageError('research expects a question: fathom research "…"', command);
      if (options.model !== undefined && options.llm === undefined) {
        throw new UsageError("--model needs --llm (the provider the model belongs to)", command);
      }
      const body: Record<string, unknown> = { query };
      if (options.depth !== undefined) body.depth = options.depth;
      if (options.breadth !== undefined) body.breadth = options.breadth;
      if (options.language !== undefined) body.language = options.language;
      if (options.fresh) body.fresh = true;
      if (options.llm !== undefined) {
        body.llm =
          options.model !== undefined
            ? { provider: options.llm, model: options.model }
            : { provider: options.llm };
      }
      if (options.search !== undefined || options.collection !== undefined) {
        body.search = {
          provider: options.search ?? "local",
          ...(options.collection !== undefined ? { collection: options.collection } : {}),
        };
      }
      // The server's own schema: a request it would refuse never leaves this process.
      const request = parseWith(researchRequestSchema, body, command);
      return { kind: "research", connection, quiet: values.quiet ?? false, request };
    }
    case "attach":
      return {
        kind: "attach",
        connection,
        quiet: values.quiet ?? false,
        taskId: taskIdArgument(rest, command),
      };
    case "list": {
      if (rest.length > 0)
        throw new UsageError(`list takes no arguments, got ${JSON.stringify(rest[0])}`, command);
      const options = parseWith(listSchema, values, command);
      return {
        kind: "list",
        connection,
        status: options.status,
        limit: options.limit,
        json: values.json ?? false,
      };
    }
    case "cancel":
      return { kind: "cancel", connection, taskId: taskIdArgument(rest, command) };
    case "export": {
      const options = parseWith(exportSchema, values, command);
      return {
        kind: "export",
        connection,
        taskId: taskIdArgument(rest, command),
        format: options.format,
        output: options.output,
      };
    }
  }
}
