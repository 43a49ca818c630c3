import { exportFormats } from "../lib/model/export-format";
import { llmProviders, searchProviders } from "../lib/model/request";
import { taskStatuses } from "../lib/model/task-json";

export const commands = ["research", "attach", "list", "cancel", "export"] as const;
export type Command = (typeof commands)[number];

const GLOBAL = `Options of every command:
  --server URL        the Fathom server (default: FATHOM_URL, else http://localhost:3000)
  --token TOKEN       its API token (default: FATHOM_API_TOKEN)
  --wait-server S     how long to keep trying while the server is unreachable,
                      in seconds (default 60; 0: fail at once)
  -h, --help          show help`;

const EXIT_CODES = `Exit codes: 0 done, 1 failed or cancelled (or refused by the server),
2 usage, 3 unreachable, 130 detached with Ctrl-C.`;

export const generalHelp = `Usage: fathom <command> [arguments] [options]

Deep research on a Fathom server, from the command line.

Commands:
  research "question"   start (or join) research; stream the report to stdout
  attach <id>           stream a task's report to stdout (again, or after Ctrl-C)
  list                  tasks, newest first
  cancel <id>           cancel a task
  export <id>           download a completed task's report (md, html, pdf, docx, json)

Run "fathom <command> --help" for a command's options.

${GLOBAL}

${EXIT_CODES}
`;

export const commandHelp: Record<Command, string> = {
  research: `Usage: fathom research "question" [options]

Starts research on the server (or joins the identical task) and streams the
report to stdout as it is written; progress goes to stderr (a bar on a
terminal, plain lines otherwise). A dropped connection or a restarted server
is resumed where it stopped: stdout is exactly the task's report. Ctrl-C
detaches without cancelling; "fathom attach <id>" comes back.

Options:
  --depth N           levels of follow-up research (1-5; server default 2)
  --breadth N         sub-questions per level (1-8; server default 3)
  --llm NAME          ${llmProviders.join(" | ")} (server default: DEFAULT_LLM_PROVIDER)
  --model NAME        the model of --llm (default: the provider's *_MODEL)
  --search NAME       ${searchProviders.join(" | ")} (server default: DEFAULT_SEARCH_PROVIDER)
  --collection NAME   the collection local or hybrid search reads (default sotu)
  --language TAG      language of the report, e.g. en or pt-BR
  --fresh             start a new run even if the identical task exists
  --quiet             no progress on stderr

${GLOBAL}

${EXIT_CODES}
`,
  attach: `Usage: fathom attach <id> [options]

Streams the task's report to stdout from its beginning (the current run's),
then follows it live until it ends; progress goes to stderr. Resumes after
drops like "research". Ctrl-C detaches again.

Options:
  --quiet             no progress on stderr

${GLOBAL}

${EXIT_CODES}
`,
  list: `Usage: fathom list [options]

Tasks on the server, newest first: id, status, progress, age, question.

Options:
  --status LIST       only these statuses, comma-separated: ${taskStatuses.join(",")}
  --limit N           at most N tasks (1-200, default 20)
  --json              the API's answer as JSON ({tasks, total, nextCursor})

${GLOBAL}
`,
  cancel: `Usage: fathom cancel <id> [options]

Cancels the task (idempotent: a cancelled task stays cancelled). It keeps
what it had; the report so far stays readable.

${GLOBAL}

Exit codes: 0 cancelled, 1 refused (a completed task cannot be cancelled; an
unknown task), 2 usage, 3 unreachable.
`,
  export: `Usage: fathom export <id> [--format FORMAT] [-o FILE] [options]

Downloads a completed task's report.

Options:
  --format FORMAT     ${exportFormats.join(" | ")} (default md)
  -o, --output FILE   where to write it ("-": stdout; default: the name the
                      server suggests, in the current folder)

${GLOBAL}

Exit codes: 0 written, 1 refused (no report yet, unknown task), 2 usage,
3 unreachable.
`,
};
