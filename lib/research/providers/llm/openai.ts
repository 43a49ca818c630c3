import { z } from "zod";
import { ProviderError } from "../provider-http";
import type {
  LearnInput,
  LearnOutput,
  LlmProvider,
  PlanInput,
  ReportInput,
  SubQuestion,
} from "./llm-provider";
import { emptyReportBody } from "./offline";
import type { ChatMessage, OpenAiClient } from "./openai-client";

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

/** Options of the OpenAI-compatible writer. */
export interface OpenAiLlmOptions {
  client: OpenAiClient;
  /** Times a report interrupted mid-stream is continued before the step fails. Default 2. */
  maxContinuations?: number;
}

function system(language: string): ChatMessage {
  return {
    role: "system",
    content:
      "You are an expert researcher. Be precise and factual, prefer specific facts, names, numbers and dates, " +
      "and never invent sources. " +
      `Write every text you produce in the language with the tag "${language}".`,
  };
}

const MODEL_SOURCES_HEADING = /^#{1,6}\s*(sources|references|bibliography|works cited)\b/i;

/**
 * The writer backed by an OpenAI-compatible model: the same three jobs as
 * dzhng/deep-research's prompts (search queries, learnings with follow-ups,
 * a final report), with structured answers validated by zod and learnings
 * tied to the numbered passages they come from.
 */
export function createOpenAiLlm(options: OpenAiLlmOptions): LlmProvider {
  const { client } = options;
  return {
    name: "openai",
    model: client.model,

    async plan(input: PlanInput): Promise<SubQuestion[]> {
      const learnings = input.learnings.slice(-30);
      const answer = await client.chatJson(planSchema, {
        signal: input.signal,
        messages: [
          system(input.language),
          {
            role: "user",
            content:
              `Plan the research of the following question. Return at most ${input.count} search queries, each ` +
              "distinct from the others and each with the research goal it serves (what to find out and how to go " +
              "deeper once found).\n\n" +
              `<question>\n${input.query}\n</question>\n\n` +
              (learnings.length > 0
                ? `What earlier research already learned (search for what is still missing):\n${learnings.map((text) => `- ${text}`).join("\n")}\n\n`
                : "") +
              'Answer with only a JSON object: {"queries": [{"query": "…", "researchGoal": "…"}]}',
          },
        ],
      });
      return answer.queries
        .slice(0, input.count)
        .map((item) => ({ query: item.query, goal: item.researchGoal || item.query }));
    },

    async learn(input: LearnInput): Promise<LearnOutput> {
      const passages = input.passages
        .map((passage) => `[${passage.number}] ${passage.title}\n${passage.text}`)
        .join("\n\n");
      const answer = await client.chatJson(learnSchema, {
        signal: input.signal,
        messages: [
          system(input.language),
          {
            role: "user",
            content:
              `The user's question: ${input.rootQuery}\n` +
              `This search: ${input.query}\nIts goal: ${input.goal}\n\n` +
              `Numbered passages found by the search:\n<passages>\n${passages}\n</passages>\n\n` +
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
              'Answer with only a JSON object: {"learnings": [{"text": "…", "sources": [1]}], "followUpQuestions": ["…"]}',
          },
        ],
      });
      const valid = new Set(input.passages.map((passage) => passage.number));
      return {
        learnings: answer.learnings.slice(0, input.count).map((learning) => ({
          text: learning.text,
          passages: [...new Set(learning.sources.filter((number) => valid.has(number)))],
        })),
        followUps: answer.followUpQuestions.slice(0, input.followUpCount),
      };
    },

    async writeReport(input: ReportInput): Promise<void> {
      const learningCount = input.sections.reduce((sum, section) => sum + section.learnings.length, 0);
      if (learningCount === 0) {
        // Nothing to write about: the same well-formed "nothing found" report as offline, no model call.
        const body = emptyReportBody(input.query);
        if (body.startsWith(input.prefix)) await input.emit(body.slice(input.prefix.length));
        return;
      }
      const learnings = input.sections
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
      const instructions =
        `Write a detailed research report in Markdown that answers this question:\n<question>\n${input.query}\n</question>\n\n` +
        `Use only these learnings from the research:\n<learnings>\n${learnings}\n</learnings>\n\n` +
        `Sources (cite them by number):\n${sources}\n\n` +
        "Format: the first line is the title as `# Title`; then `## Summary` with two to four sentences; then " +
        "sections with `## ` headings. Support every claim with citations such as [1] or [2][3], using only the " +
        "numbers above. Do not write a sources, references or bibliography list: it is appended automatically.";

      let written = input.prefix;
      const maxContinuations = options.maxContinuations ?? 2;
      for (let round = 0; ; round++) {
        const messages: ChatMessage[] = [system(input.language), { role: "user", content: instructions }];
        if (written !== "") {
          messages.push({
            role: "user",
            content:
              `The report was interrupted. This is what was already written:\n<written>\n${written}\n</written>\n\n` +
              "Continue the report from exactly where it stops. Output only the continuation, without repeating any of the text above.",
          });
        }
        const filter = createContinuationFilter(written, async (text) => {
          written += text;
          await input.emit(text);
        });
        try {
          await client.chat({
            messages,
            temperature: 0.3,
            signal: input.signal,
            onDelta: (text) => filter.write(text),
          });
          await filter.end();
          return;
        } catch (error) {
          const partial = error instanceof ProviderError && error.details !== undefined;
          if (!partial || !(error as ProviderError).retryable || round >= maxContinuations) throw error;
          // The stream broke after part of the report was sent: ask for the rest.
          await filter.end();
        }
      }
    },
  };
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
      buffer += text;
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
