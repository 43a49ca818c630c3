/**
 * Command-line research: `npm run research -- "question" [options]`.
 * Streams the report to stdout and a progress line to stderr, using the same
 * engine as the server with an in-memory step store.
 */
import { parseArgs } from "node:util";
import { z } from "zod";
import { getConfig } from "../lib/config";
import { errorMessage } from "../lib/errors";
import { llmProviders, normalizeRequest, researchRequestSchema, searchProviders } from "../lib/model/request";
import { requestDefaults } from "../lib/model/request-defaults";
import { checkProviders, createResearchEngine, runEngineInMemory } from "../lib/research";

const USAGE = `Usage: npm run research -- "question" [options]

Options:
  --depth N          levels of follow-up research (1-5, default 2)
  --breadth N        sub-questions per level (1-8, default 3)
  --llm NAME         ${llmProviders.join(" | ")} (default: DEFAULT_LLM_PROVIDER)
  --model NAME       model of a model provider (default: its *_MODEL variable)
  --search NAME      ${searchProviders.join(" | ")} (default: DEFAULT_SEARCH_PROVIDER)
  --max-results N    results per search (1-20, default 5)
  --language TAG     language of the report, e.g. en
  --quiet            no progress line on stderr
  -h, --help         show this help

The report is written to stdout; progress goes to stderr.`;

const integer = (name: string) =>
  z.string().regex(/^\d+$/, `--${name} expects a whole number`).transform(Number).optional();

const argumentsSchema = z.object({
  depth: integer("depth"),
  breadth: integer("breadth"),
  "max-results": integer("max-results"),
  llm: z.enum(llmProviders, { error: `--llm expects one of: ${llmProviders.join(", ")}` }).optional(),
  model: z.string().optional(),
  search: z
    .enum(searchProviders, { error: `--search expects one of: ${searchProviders.join(", ")}` })
    .optional(),
  language: z.string().optional(),
  quiet: z.boolean().optional(),
  help: z.boolean().optional(),
});

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      depth: { type: "string" },
      breadth: { type: "string" },
      "max-results": { type: "string" },
      llm: { type: "string" },
      model: { type: "string" },
      search: { type: "string" },
      language: { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const options = argumentsSchema.parse(values);
  const query = positionals.join(" ");
  const body: Record<string, unknown> = { query };
  if (options.depth !== undefined) body.depth = options.depth;
  if (options.breadth !== undefined) body.breadth = options.breadth;
  if (options.language !== undefined) body.language = options.language;
  if (options.llm !== undefined)
    body.llm = options.model ? { provider: options.llm, model: options.model } : { provider: options.llm };
  if (options.search !== undefined || options["max-results"] !== undefined) {
    const config = getConfig();
    body.search = {
      provider: options.search ?? config.DEFAULT_SEARCH_PROVIDER,
      ...(options["max-results"] !== undefined ? { maxResults: options["max-results"] } : {}),
    };
  }
  const config = getConfig();
  const request = normalizeRequest(researchRequestSchema.parse(body), requestDefaults(config));
  checkProviders(request, config);

  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort(new Error("Interrupted")));
  const showProgress = !options.quiet;
  const width = () => Math.max(40, (process.stderr.columns || 100) - 1);
  let progressShown = false;
  const clearProgress = () => {
    if (progressShown) process.stderr.write(`\r${" ".repeat(width())}\r`);
    progressShown = false;
  };
  await runEngineInMemory(createResearchEngine({ config }), request, {
    signal: controller.signal,
    onProgress: (update) => {
      if (!showProgress) return;
      const line = `[${String(update.percentage).padStart(3)}%] ${update.step}: ${update.message}`.replace(
        /\s+/g,
        " ",
      );
      process.stderr.write(`\r${line.slice(0, width()).padEnd(width())}`);
      progressShown = true;
    },
    onOutput: (text) => {
      clearProgress();
      process.stdout.write(text);
    },
  });
  if (showProgress) {
    clearProgress();
    process.stderr.write("[100%] done\n");
  }
  return 0;
}

// A closed stdout (`… | head`) ends the run quietly instead of crashing on EPIPE.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    const message =
      error instanceof z.ZodError
        ? error.issues.map((issue) => issue.message).join("\n")
        : errorMessage(error);
    process.stderr.write(`\n${message}\n\n${error instanceof z.ZodError ? `${USAGE}\n` : ""}`);
    process.exitCode = 1;
  },
);
