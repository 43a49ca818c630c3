import type { LanguageModel, ModelMessage } from "ai";
import { z } from "zod";
import type { ModelProviderName } from "../../../model/request";
import { type ClientRuntime, ProviderError, withRetries } from "../provider-http";
import { contextWindow, estimateTokens } from "./context-window";
import type {
  CitedLearning,
  LearnInput,
  LearnOutput,
  LlmProvider,
  ModelCallObserver,
  NumberedPassage,
  PlanInput,
  ReportInput,
  SubQuestion,
  WhatsNewInput,
} from "./llm-provider";
import { type AnswerMode, callModel, failedMidStream, type ModelCallResult, refusalKind } from "./model-call";
import { emptyReportBody } from "./offline";
import { learnQuirk, type RequestQuirks, requestQuirks } from "./request-quirks";
import { structuredAnswer } from "./structured-answer";

/** Answers as sent to a server that takes a JSON schema: every field required, nothing else allowed. */
const planWireSchema = z.object({
  queries: z.array(z.object({ query: z.string(), researchGoal: z.string() })),
});
const learnWireSchema = z.object({
  learnings: z.array(z.object({ text: z.string(), sources: z.array(z.number().int()) })),
  followUpQuestions: z.array(z.string()),
});

/** Answers as read back: tolerant of what models leave out or stringify. */
const planSchema = z.object({
  queries: z
    .array(
      z.object({ query: z.string().trim().min(1), researchGoal: z.string().trim().optional().default("") }),
    )
    .min(1),
});

const learnSchema = z.object({
  learnings: z.array(
    z.object({
      text: z.string().trim().min(1),
      sources: z.array(z.coerce.number().int()).optional().default([]),
    }),
  ),
  followUpQuestions: z.array(z.string().trim().min(1)).optional().default([]),
});

/** Options of the model-backed writer. */
export interface ModelLlmOptions {
  provider: ModelProviderName;
  model: string;
  /** The AI SDK model; `structured`: ask for JSON schemas (false: JSON mode). */
  languageModel: (structured: boolean, quirks: RequestQuirks) => LanguageModel;
  /** Where requests go (base URL): answer modes a server refused are remembered per endpoint and model. */
  endpoint: string;
  /** The model's context window in tokens (default: known per model, else 8192). */
  contextTokens?: number;
  /** A call that brings nothing for this long fails (retryably). Default 120 s. */
  idleTimeoutMs?: number;
  /** Retries of a call that failed transiently. Default 4. */
  maxRetries?: number;
  runtime: ClientRuntime;
  /**
   * Times a report interrupted mid-stream is continued before the step fails
   * (and a report cut by the output token cap is continued before it is kept
   * as it is). Default 2.
   */
  maxContinuations?: number;
}

function systemPrompt(language: string): string {
  return (
    "You are an expert researcher. Be precise and factual, prefer specific facts, names, numbers and dates, " +
    "and never invent sources. " +
    `Write every text you produce in the language with the tag "${language}".`
  );
}

const MODEL_SOURCES_HEADING = /^#{1,6}\s*(sources|references|bibliography|works cited)\b/i;

/** Tokens kept free for the answer. */
function outputReserve(contextTokens: number): number {
  return Math.min(4096, Math.floor(contextTokens / 4));
}

/**
 * The writer backed by a model through the Vercel AI SDK: the same three
 * jobs as dzhng/deep-research's prompts (search queries, learnings with
 * follow-ups, a final report), with structured answers that degrade from a
 * JSON schema to JSON mode to plain text, learnings tied to the numbered
 * passages they come from, prompts cut to the model's context window, and a
 * report that continues where a broken stream stopped.
 */
export function createModelLlm(options: ModelLlmOptions): LlmProvider {
  const label = options.provider;
  const knownWindow = options.contextTokens ?? contextWindow(options.model);
  const endpoint = `${options.provider} ${options.endpoint} ${options.model}`;
  const idleTimeoutMs = options.idleTimeoutMs ?? 120_000;
  const maxRetries = options.maxRetries ?? 4;

  const quirks = requestQuirks(endpoint);
  /** The window prompts are cut to: the known one, or the smaller one the server showed. */
  const windowTokens = () => Math.min(knownWindow, quirks.contextTokens ?? knownWindow);

  const call = async (
    observer: ModelCallObserver,
    request: {
      messages: ModelMessage[];
      language: string;
      signal?: AbortSignal;
      mode?: AnswerMode;
      schema?: z.ZodType;
      temperature?: number;
      onText?: (text: string) => Promise<void>;
      /** The caller answers a context-length refusal with a shorter prompt (`silentlyCut`). */
      shrinkable?: boolean;
    },
  ): Promise<ModelCallResult> => {
    for (;;) {
      try {
        return await callOnce(observer, request);
      } catch (error) {
        // A field the server refuses (`stream_options`, `temperature`): again without it.
        if (!learnQuirk(quirks, error)) throw error;
      }
    }
  };

  const callOnce = (observer: ModelCallObserver, request: Parameters<typeof call>[1]) =>
    callModel({
      model: options.languageModel(request.mode !== "object", quirks),
      label,
      system: systemPrompt(request.language),
      messages: request.messages,
      ...(request.mode && request.schema
        ? { structured: { mode: request.mode, schema: request.schema } }
        : {}),
      temperature: quirks.noTemperature ? undefined : request.temperature,
      idleTimeoutMs,
      signal: request.signal,
      onText: request.onText,
      onUsage: observer.onUsage,
    }).then((result) => {
      if (result.reasoning.trim() !== "") observer.onReasoning?.(result.reasoning);
      // Only self-hosted servers cut silently; hosted services refuse (and may count cached tokens apart).
      const kept =
        options.provider === "openai-compatible"
          ? silentlyCut(systemPrompt(request.language), request.messages, result.usage?.inputTokens)
          : undefined;
      if (kept !== undefined) {
        quirks.contextTokens = Math.min(quirks.contextTokens ?? kept, kept);
        if (request.shrinkable) {
          throw new ProviderError(
            `${label} cut the prompt to ${kept} tokens without saying so (its context window, such as Ollama's num_ctx, is smaller than the prompt)`,
            { retryable: false, details: { refusal: "context_length" } },
          );
        }
      }
      return result;
    });

  /** A structured answer, with retries of transient failures (honouring `Retry-After`). */
  const ask = <T>(
    input: ModelCallObserver & { language: string; signal?: AbortSignal },
    prompt: string,
    schema: z.ZodType<T>,
    wireSchema: z.ZodType,
    shrinkable = false,
  ) =>
    withRetries(
      () =>
        structuredAnswer({
          endpoint,
          label,
          schema,
          call: (mode) =>
            call(input, {
              messages: [{ role: "user", content: prompt }],
              language: input.language,
              signal: input.signal,
              mode,
              schema: wireSchema,
              shrinkable,
            }),
        }),
      { maxRetries, runtime: options.runtime, signal: input.signal },
    );

  return {
    name: options.provider,
    model: options.model,

    async plan(input: PlanInput): Promise<SubQuestion[]> {
      const prompt = (learnings: readonly string[]) =>
        `Plan the research of the following question. Return at most ${input.count} search queries, each ` +
        "distinct from the others and each with the research goal it serves (what to find out and how to go " +
        "deeper once found).\n\n" +
        `<question>\n${input.query}\n</question>\n\n` +
        (learnings.length > 0
          ? `What earlier research already learned (search for what is still missing):\n${learnings.map((text) => `- ${text}`).join("\n")}\n\n`
          : "") +
        'Answer with only a JSON object: {"queries": [{"query": "…", "researchGoal": "…"}]}';
      // The latest learnings of earlier research (a follow-up's), fewer when the window refuses them all.
      let learnings = input.learnings.slice(-30);
      let answer: z.infer<typeof planSchema>;
      for (;;) {
        try {
          answer = await ask(input, prompt(learnings), planSchema, planWireSchema, learnings.length > 0);
          break;
        } catch (error) {
          if (refusalKind(error) !== "context_length" || learnings.length === 0) throw error;
          learnings = learnings.slice(Math.ceil(learnings.length / 2));
        }
      }
      return answer.queries
        .slice(0, input.count)
        .map((item) => ({ query: item.query, goal: item.researchGoal || item.query }));
    },

    async summarizeWhatsNew(input: WhatsNewInput): Promise<string> {
      const sources = input.sources
        .slice(0, 30)
        .map(
          (source) =>
            `[${source.number}] ${source.title}${source.url ? ` <${source.url}>` : source.documentRef ? ` (${source.documentRef})` : ""}`,
        )
        .join("\n");
      const learnings = input.learnings
        .slice(0, 30)
        .map((learning) => `- ${learning.text} ${learning.citations.map((number) => `[${number}]`).join("")}`)
        .join("\n");
      const prompt =
        `Summarise what is new since the previous run of this research, which ended ${input.since}.\n` +
        `<question>\n${input.query}\n</question>\n\n` +
        `Sources the previous run did not have:\n<new_sources>\n${sources || "(none)"}\n</new_sources>\n\n` +
        `Findings the previous run did not have:\n<new_learnings>\n${learnings || "(none)"}\n</new_learnings>\n\n` +
        "Answer with two to four plain sentences (no heading, no list), citing sources such as [1] with only " +
        "the numbers above.";
      const { text } = await withRetries(
        () =>
          call(input, {
            messages: [{ role: "user", content: prompt }],
            language: input.language,
            signal: input.signal,
            temperature: 0.3,
          }),
        { maxRetries, runtime: options.runtime, signal: input.signal },
      );
      return summaryParagraph(text);
    },

    async learn(input: LearnInput): Promise<LearnOutput> {
      const prompt = (passages: readonly NumberedPassage[]) =>
        `The user's question: ${input.rootQuery}\n` +
        `This search: ${input.query}\nIts goal: ${input.goal}\n\n` +
        `Numbered passages found by the search:\n<passages>\n${passages
          .map((passage) => `[${passage.number}] ${passage.title}\n${passage.text}`)
          .join("\n\n")}\n</passages>\n\n` +
        `Extract at most ${input.count} learnings from the passages: concise, information-dense, each one ` +
        "self-contained, with the exact entities, numbers and dates, and each with the numbers of the passages " +
        "that support it. Use only what the passages say; skip what is not there." +
        (input.known.length > 0
          ? ` Do not repeat these known learnings:\n${input.known
              .slice(-30)
              .map((text) => `- ${text}`)
              .join("\n")}\n`
          : "\n") +
        (input.followUpCount > 0
          ? `Also propose at most ${input.followUpCount} follow-up questions that would deepen the research.\n`
          : "Propose no follow-up questions.\n") +
        'Answer with only a JSON object: {"learnings": [{"text": "…", "sources": [1]}], "followUpQuestions": ["…"]}';
      const budget = () => windowTokens() - outputReserve(windowTokens()) - estimateTokens(prompt([]));
      let passages = fitPassages(input.passages, budget());
      for (;;) {
        try {
          const answer = await ask(input, prompt(passages), learnSchema, learnWireSchema, true);
          const valid = new Set(passages.map((passage) => passage.number));
          return {
            learnings: answer.learnings.slice(0, input.count).map((learning) => ({
              text: learning.text,
              passages: [...new Set(learning.sources.filter((number) => valid.has(number)))],
            })),
            followUps: answer.followUpQuestions.slice(0, input.followUpCount),
          };
        } catch (error) {
          // The window is smaller than assumed: the same question over fewer passages.
          const fewer = refusalKind(error) === "context_length" ? halvePassages(passages) : undefined;
          if (fewer === undefined) throw error;
          // A window the server showed may call for fewer still.
          const fitting = fitPassages(fewer, budget());
          passages = fitting.length < fewer.length ? fitting : fewer;
        }
      }
    },

    async writeReport(input: ReportInput): Promise<void> {
      const learningCount = input.sections.reduce((sum, section) => sum + section.learnings.length, 0);
      if (learningCount === 0) {
        // Nothing to write about: the same well-formed "nothing found" report as offline, no model call.
        const body = emptyReportBody(input.query, input.language);
        if (body.startsWith(input.prefix)) await input.emit(body.slice(input.prefix.length));
        return;
      }
      const instructions = (sections: ReportInput["sections"]) => {
        const learnings = sections
          .map(
            (section) =>
              `Sub-question: ${section.heading}\n${section.learnings
                .map(
                  (learning) =>
                    `- ${learning.text} ${learning.citations.map((number) => `[${number}]`).join("")}`,
                )
                .join("\n")}`,
          )
          .join("\n\n");
        const sources = input.sources
          .map(
            (source) =>
              `[${source.number}] ${source.title}${source.url ? ` <${source.url}>` : source.documentRef ? ` (${source.documentRef})` : ""}`,
          )
          .join("\n");
        return (
          `Write a detailed research report in Markdown that answers this question:\n<question>\n${input.query}\n</question>\n\n` +
          `Use only these learnings from the research:\n<learnings>\n${learnings}\n</learnings>\n\n` +
          `Sources (cite them by number):\n${sources}\n\n` +
          "Format: the first line is the title as `# Title`; then `## Summary` with two to four sentences; then " +
          "sections with `## ` headings. Support every claim with citations such as [1] or [2][3], using only the " +
          "numbers above. Do not write a sources, references or bibliography list: it is appended automatically."
        );
      };

      let sections = fitLearnings(input.sections, windowTokens() - outputReserve(windowTokens()) - 1500);
      let written = input.prefix;
      const maxContinuations = options.maxContinuations ?? 2;
      for (let round = 0; ; round++) {
        const messages: ModelMessage[] = [{ role: "user", content: instructions(sections) }];
        if (written !== "") {
          messages.push({
            role: "user",
            content:
              `The report was interrupted. This is what was already written:\n<written>\n${tailOf(written, 6000)}\n</written>\n\n` +
              "Continue the report from exactly where it stops. Output only the continuation, without repeating any of the text above.",
          });
        }
        let receivedThisRound = false;
        const filter = createContinuationFilter(written, async (text) => {
          written += text;
          await input.emit(text);
        });
        try {
          const result = await withRetries(
            async () => {
              const answer = await call(input, {
                messages,
                language: input.language,
                signal: input.signal,
                temperature: 0.3,
                onText: (text) => {
                  receivedThisRound = true;
                  return filter.write(text);
                },
              });
              // A server that ends the stream at once (a stop token first) would leave a report with no body.
              if (written === "" && answer.text.trim() === "") {
                throw new ProviderError(`${label} returned an empty report`, { retryable: true });
              }
              return answer;
            },
            {
              maxRetries,
              runtime: options.runtime,
              signal: input.signal,
              // Once text went out, a retry would repeat it: a continuation picks up instead.
              canRetry: () => !receivedThisRound,
            },
          );
          await filter.end();
          // Stopped by the server's output token cap: the rest is asked for like a broken stream's.
          if (result.truncated && receivedThisRound && round < maxContinuations) continue;
          return;
        } catch (error) {
          if (refusalKind(error) === "context_length" && !receivedThisRound) {
            const fewer = halveLearnings(sections);
            if (fewer === undefined) throw error;
            sections = fewer;
            continue;
          }
          const partial = failedMidStream(error);
          if (!partial || !(error as ProviderError).retryable || round >= maxContinuations) throw error;
          // The stream broke after part of the report was sent: ask for the rest.
          await filter.end();
        }
      }
    },
  };
}

/** Longest "what's new" summary kept, in characters. */
const MAX_SUMMARY_CHARS = 1500;

/**
 * A model's summary as one paragraph: heading lines, list marks and blank lines
 * gone (the section around it is the engine's), cut at a sentence to
 * `MAX_SUMMARY_CHARS`.
 */
export function summaryParagraph(text: string): string {
  const flat = text
    .split("\n")
    .filter((line) => !/^\s*#{1,6}\s/.test(line))
    .map((line) => line.replace(/^\s*([-*+]\s+|\d+\.\s+)/, "").trim())
    .filter((line) => line !== "")
    .join(" ");
  if (flat.length <= MAX_SUMMARY_CHARS) return flat;
  const cut = flat.slice(0, MAX_SUMMARY_CHARS);
  const end = cut.lastIndexOf(". ");
  return end > MAX_SUMMARY_CHARS / 2 ? cut.slice(0, end + 1) : `${cut.slice(0, -1)}…`;
}

/** The passages that fit `budget` tokens, in order (always at least one, cut to fit). */
function fitPassages(passages: readonly NumberedPassage[], budget: number): NumberedPassage[] {
  const kept: NumberedPassage[] = [];
  let used = 0;
  for (const passage of passages) {
    const tokens = estimateTokens(passage.text) + 8;
    if (used + tokens > budget) break;
    kept.push(passage);
    used += tokens;
  }
  if (kept.length === 0 && passages.length > 0) {
    const first = passages[0]!;
    kept.push({ ...first, text: first.text.slice(0, Math.max(200, budget * 3)) });
  }
  return kept;
}

/**
 * Some servers cut a prompt longer than their context window without an
 * error, dropping its beginning (Ollama past its `num_ctx`): the answer then
 * comes from a part of the prompt. The usage gives it away, a prompt counted
 * at well under half of what was sent (the estimate errs high, by about a
 * quarter for English). The tokens kept, or undefined when nothing was cut
 * (or no usage came, or the prompt was too short to tell).
 */
function silentlyCut(
  system: string,
  messages: readonly ModelMessage[],
  counted: number | undefined,
): number | undefined {
  if (counted === undefined || counted <= 0) return undefined;
  const text = messages
    .map((message) => (typeof message.content === "string" ? message.content : ""))
    .join("\n");
  const sent = estimateTokens(`${system}\n${text}`);
  return sent >= 512 && counted < sent / 2 ? counted : undefined;
}

/** Half the passages (the first ones), or half the text of a single one; undefined when nothing is left to cut. */
function halvePassages(passages: readonly NumberedPassage[]): NumberedPassage[] | undefined {
  if (passages.length > 1) return passages.slice(0, Math.ceil(passages.length / 2));
  const only = passages[0];
  if (only === undefined || only.text.length < 400) return undefined;
  return [{ ...only, text: only.text.slice(0, Math.floor(only.text.length / 2)) }];
}

type Sections = ReportInput["sections"];

/** The most relevant learnings that fit `budget` tokens, in their sections and order. */
function fitLearnings(sections: Sections, budget: number): Sections {
  const ranked = sections
    .flatMap((section, sectionIndex) =>
      section.learnings.map((learning, index) => ({ learning, sectionIndex, index })),
    )
    .sort((a, b) => b.learning.relevance - a.learning.relevance);
  const keep = new Set<CitedLearning>();
  let used = 0;
  for (const { learning } of ranked) {
    used += estimateTokens(learning.text) + 10;
    if (used > budget && keep.size > 0) break;
    keep.add(learning);
  }
  return sections.map((section) => ({
    heading: section.heading,
    learnings: section.learnings.filter((learning) => keep.has(learning)),
  }));
}

/** The more relevant half of the learnings; undefined when one is left. */
function halveLearnings(sections: Sections): Sections | undefined {
  const count = sections.reduce((sum, section) => sum + section.learnings.length, 0);
  if (count <= 1) return undefined;
  const keep = new Set(
    sections
      .flatMap((section) => section.learnings)
      .sort((a, b) => b.relevance - a.relevance)
      .slice(0, Math.ceil(count / 2)),
  );
  return sections.map((section) => ({
    heading: section.heading,
    learnings: section.learnings.filter((learning) => keep.has(learning)),
  }));
}

/** The end of `text`, at most `length` characters, starting at a line when it can. */
function tailOf(text: string, length: number): string {
  if (text.length <= length) return text;
  const tail = text.slice(-length);
  const line = tail.indexOf("\n");
  return line >= 0 && line < 500 ? tail.slice(line + 1) : tail;
}

/**
 * Passes a model's streamed text on line by line, with two repairs a
 * continuation may need: text that repeats the end of what was already
 * written is dropped, and a sources list the model wrote anyway is cut off
 * (the engine writes the real one).
 */
export function createContinuationFilter(written: string, emit: (text: string) => Promise<void>) {
  let buffer = "";
  let checkedOverlap = written === "";
  let stopped = false;
  const pass = async (text: string) => {
    if (stopped || text === "") return;
    const lines = text.split(/(?<=\n)/);
    let out = "";
    for (const line of lines) {
      const atLineStart = (written + out).endsWith("\n") || written + out === "";
      if (atLineStart && MODEL_SOURCES_HEADING.test(line.trim())) {
        stopped = true;
        break;
      }
      out += line;
    }
    if (out !== "") {
      written += out;
      await emit(out);
    }
  };
  return {
    async write(text: string): Promise<void> {
      // A report begins at its first visible character (models often open with blank lines).
      buffer = written === "" && buffer === "" ? text.replace(/^\s+/, "") : buffer + text;
      if (!checkedOverlap) {
        if (buffer.length < 400 && !buffer.includes("\n\n")) return;
        buffer = buffer.slice(overlap(written, buffer));
        checkedOverlap = true;
      }
      const cut = buffer.lastIndexOf("\n");
      if (cut < 0) return;
      const ready = buffer.slice(0, cut + 1);
      buffer = buffer.slice(cut + 1);
      await pass(ready);
    },
    async end(): Promise<void> {
      if (!checkedOverlap) buffer = buffer.slice(overlap(written, buffer));
      checkedOverlap = true;
      const rest = buffer;
      buffer = "";
      await pass(rest);
    },
  };
}

/** Length of the longest start of `next` (≥ 12 characters) that `written` already ends with. */
function overlap(written: string, next: string): number {
  for (let length = Math.min(written.length, next.length, 2000); length >= 12; length--) {
    if (written.endsWith(next.slice(0, length))) return length;
  }
  return 0;
}
