import type { CallUsage, LlmProvider, ModelCallObserver, SubQuestion } from "./providers/llm/llm-provider";
import type { SearchProvider } from "./providers/search/search-provider";
import { numberSources } from "./report/number-sources";
import { createOutputChunker } from "./report/output-chunker";
import { reportPhrases } from "../model/report-phrases";
import { sourcesSection } from "./report/sources-section";
import { hasNews, whatsNewSection, whatsNewSince } from "./report/whats-new-section";
import { childBreadth, nodeUnits, RESEARCH_SHARE, ResearchProgress } from "./research-progress";
import {
  type LearningRecord,
  type LearnRecord,
  type PlanRecord,
  type ReadDocument,
  type ReadRecord,
  type SearchRecord,
  sourceKey,
} from "./research-records";
import type { ParentResearch, ResearchContext, ResearchEngine, ResearchResult, SourceRef } from "./types";
import type { PageReader } from "./web/page-reader";

/** The providers one task uses. */
export interface ResearchProviders {
  search: SearchProvider;
  llm: LlmProvider;
  /** Reads web results that come without passages. */
  reader: PageReader;
}

/** Options of `createEngine`. */
export interface EngineOptions {
  /** Builds the providers a request asks for (called once per run). */
  providers: (context: ResearchContext) => ResearchProviders;
  /** Learnings asked for per sub-question. Default 3. */
  learningsPerQuestion?: number;
  /** Upper bound of the characters of passages given to one `learn` call. Default 24 000. */
  maxLearnChars?: number;
}

interface ResearchNode {
  /** Dotted path: "2", "2.1". Step keys are built from it. */
  id: string;
  question: SubQuestion;
  breadth: number;
  depth: number;
}

interface NodeOutcome {
  node: ResearchNode;
  learnings: LearningRecord[];
  passages: number;
}

/**
 * The research engine (dzhng/deep-research's recursion, as durable steps):
 *
 * `plan` → for each sub-question `n` (up to `breadth`): `search:n` →
 * `read:n` → `learn:n` → when depth is left, `plan:n` and the same for its
 * sub-questions `n.1…` with half the breadth → `report`.
 *
 * Every step's key is a function of the request and of earlier results, so
 * a resumed run finds the same keys, gets recorded results back, and repeats
 * at most the interrupted step. Sub-questions are researched one after the
 * other: records, learnings and citation numbers come out in one order.
 */
export function createEngine(options: EngineOptions): ResearchEngine {
  const learningsPerQuestion = options.learningsPerQuestion ?? 3;
  const maxLearnChars = options.maxLearnChars ?? 24_000;

  return {
    async run(context: ResearchContext): Promise<ResearchResult> {
      const { request, signal } = context;
      const providers = options.providers(context);
      const { search, llm, reader } = providers;
      const progress = new ResearchProgress(request.breadth, request.depth);
      const allLearnings: LearningRecord[] = [];
      const outcomes: NodeOutcome[] = [];
      /** Best rank of each source in the top-level sub-questions' searches (see `numberSources`). */
      const searchRanks = new Map<string, number>();
      let stoppedEarly = false;

      /** Runs a step; its progress event is sent only when the step really runs (not when replayed). */
      const step = async <T>(
        key: string,
        update: {
          step: string;
          message: string;
          detail?: Parameters<ResearchContext["progress"]>[0]["detail"];
        },
        run: () => Promise<T>,
      ): Promise<T> => {
        signal.throwIfAborted();
        const result = await context.step(key, async () => {
          await context.progress({ ...update, percentage: progress.percentage });
          return run();
        });
        progress.complete();
        return result;
      };

      /**
       * What a step's model calls cost and reasoned: usage is recorded per
       * call, and the reasoning is sent once, from inside the step, as a
       * collapsed "thinking" node of the research tree (never as report text).
       */
      const observe = (key: string, parentId?: string) => {
        const thoughts: string[] = [];
        const recorded: Promise<void>[] = [];
        return {
          observer: {
            onReasoning: (text: string) => void thoughts.push(text.trim()),
            onUsage: (usage: CallUsage) => {
              const saved = context.usage({
                step: key,
                provider: llm.name,
                model: llm.model ?? llm.name,
                ...usage,
              });
              // A failed save surfaces in `finish`; a step that threw first has its own error to report.
              saved.catch(() => {});
              recorded.push(saved);
            },
          } satisfies ModelCallObserver,
          /** Waits for the usage records and sends the reasoning; call before the step returns. */
          async finish(step: string): Promise<void> {
            await Promise.all(recorded.splice(0));
            if (thoughts.length === 0) return;
            await context.progress({
              step,
              percentage: progress.percentage,
              message: "Thinking",
              detail: {
                kind: "thinking",
                id: `thinking:${key}`,
                ...(parentId ? { parentId } : {}),
                label: excerpt(thoughts.join("\n\n"), MAX_THINKING_CHARS),
              },
            });
          },
        };
      };

      const planLevel = async (
        key: string,
        input: { query: string; count: number; followUps: string[]; parentId?: string },
      ): Promise<SubQuestion[]> => {
        const record = await step<PlanRecord>(
          key,
          { step: "plan", message: `Planning ${input.count} sub-question${input.count === 1 ? "" : "s"}` },
          async () => {
            const calls = observe(key, input.parentId ? `question:${input.parentId}` : undefined);
            const questions = (
              await llm.plan({
                ...calls.observer,
                query: input.query,
                count: input.count,
                // A follow-up's plan starts from what its parent learned.
                learnings: [...parentLearnings, ...allLearnings.map((learning) => learning.text)],
                followUps: input.followUps,
                language: request.language,
                signal,
              })
            ).slice(0, input.count);
            await calls.finish("plan");
            // The research tree grows by the planned sub-questions (sent from inside the
            // step, so a resumed run does not send them again).
            for (const [index, question] of questions.entries()) {
              const id = input.parentId ? `${input.parentId}.${index + 1}` : `${index + 1}`;
              await context.progress({
                step: "plan",
                percentage: progress.percentage,
                message: `Sub-question: ${question.goal}`,
                detail: {
                  kind: "question",
                  id: `question:${id}`,
                  ...(input.parentId ? { parentId: `question:${input.parentId}` } : {}),
                  label: question.goal,
                },
              });
            }
            return { questions };
          },
        );
        return record.questions;
      };

      /** Turns a node's numbered passages into learnings (and follow-ups), citing their documents. */
      const learnFrom = async (
        node: ResearchNode,
        numbered: NumberedPassage[],
        options: { parentId: string; followUps: number },
      ): Promise<LearnRecord> => {
        if (numbered.length === 0) return { learnings: [], followUps: [] };
        const calls = observe(`learn:${node.id}`, options.parentId);
        const output = await llm.learn({
          ...calls.observer,
          rootQuery: request.query,
          query: node.question.query,
          goal: node.question.goal,
          passages: numbered.map(({ number, document, text }) => ({
            number,
            title: document.title,
            text,
          })),
          known: allLearnings.map((learning) => learning.text),
          count: learningsPerQuestion,
          followUpCount: options.followUps,
          language: request.language,
          signal,
        });
        await calls.finish("learn");
        const learnings: LearningRecord[] = [];
        for (const learning of output.learnings.slice(0, learningsPerQuestion)) {
          const cited = learning.passages
            .map((number) => numbered.find((passage) => passage.number === number))
            .filter((passage) => passage !== undefined);
          if (cited.length === 0 || learning.text.trim() === "") continue;
          const sources = new Map<string, SourceRef>();
          for (const { document } of cited) sources.set(sourceKey(document), sourceRefOf(document));
          learnings.push({
            text: learning.text.trim(),
            sources: [...sources.values()],
            passages: [...new Set(cited.map((passage) => passage.text))],
            relevance: learning.relevance ?? 0,
          });
        }
        for (const [index, learning] of learnings.entries()) {
          await context.progress({
            step: "learn",
            percentage: progress.percentage,
            message: `Learned: ${learning.text.length > 120 ? `${learning.text.slice(0, 117)}…` : learning.text}`,
            detail: {
              kind: "learning",
              id: `learning:${node.id}.${index + 1}`,
              parentId: options.parentId,
              label: learning.text,
            },
          });
        }
        return { learnings, followUps: output.followUps };
      };

      const explore = async (node: ResearchNode): Promise<void> => {
        if (context.finishRequested()) {
          stoppedEarly = true;
          progress.drop(nodeUnits(node.breadth, node.depth));
          return;
        }
        const label = node.question.goal;
        const searched = await step<SearchRecord>(
          `search:${node.id}`,
          {
            step: "search",
            message: `Searching: ${node.question.query}`,
            detail: {
              kind: "search",
              id: `search:${node.id}`,
              parentId: `question:${node.id}`,
              label: node.question.query,
            },
          },
          async () => ({
            results: await search.search(node.question.query, {
              maxResults: request.search.maxResults,
              language: request.language,
              signal,
            }),
          }),
        );
        if (!node.id.includes(".")) {
          for (const [index, result] of searched.results.entries()) {
            const key = sourceKey(result);
            searchRanks.set(key, Math.min(index + 1, searchRanks.get(key) ?? Number.POSITIVE_INFINITY));
          }
        }
        const read = await step<ReadRecord>(
          `read:${node.id}`,
          {
            step: "read",
            message: `Reading ${searched.results.length} result${searched.results.length === 1 ? "" : "s"} for: ${label}`,
          },
          async () => {
            const documents = (
              await Promise.all(
                searched.results.map((result) => reader.read(result, node.question.query, signal)),
              )
            ).filter(
              (document): document is ReadDocument => document !== undefined && document.passages.length > 0,
            );
            for (const document of documents) await context.source(sourceRefOf(document));
            return { documents };
          },
        );
        const numbered = numberPassages(read.documents, maxLearnChars);
        const learned = await step<LearnRecord>(
          `learn:${node.id}`,
          {
            step: "learn",
            message: `Learning from ${numbered.length} passage${numbered.length === 1 ? "" : "s"}: ${label}`,
          },
          () =>
            learnFrom(node, numbered, {
              parentId: `search:${node.id}`,
              followUps: node.depth > 1 ? childBreadth(node.breadth) : 0,
            }),
        );
        allLearnings.push(...learned.learnings);
        outcomes.push({ node, learnings: learned.learnings, passages: numbered.length });

        if (node.depth <= 1) return;
        const nextBreadth = childBreadth(node.breadth);
        const nextUnits = nodeUnits(nextBreadth, node.depth - 1);
        if (context.finishRequested() || learned.followUps.length === 0) {
          stoppedEarly ||= context.finishRequested();
          progress.drop(1 + nextBreadth * nextUnits);
          return;
        }
        const children = await planLevel(`plan:${node.id}`, {
          query: `Research goal: ${node.question.goal}\nFollow-up directions:\n${learned.followUps.map((followUp) => `- ${followUp}`).join("\n")}`,
          count: nextBreadth,
          followUps: learned.followUps,
          parentId: node.id,
        });
        progress.drop((nextBreadth - children.length) * nextUnits);
        for (const [index, question] of children.entries()) {
          await explore({
            id: `${node.id}.${index + 1}`,
            question,
            breadth: nextBreadth,
            depth: node.depth - 1,
          });
        }
      };

      const parent = await loadParent(context);
      const parentLearnings = parent?.learnings ?? [];
      if (parent) {
        // What the parent's cited passages say about the new question: its own
        // section of the report, so the follow-up cites the parent's sources.
        const node: ResearchNode = {
          id: "parent",
          question: { query: parent.query, goal: `Earlier research: ${excerpt(parent.query, 200)}` },
          breadth: 0,
          depth: 0,
        };
        const numbered = numberPassages(parentDocuments(parent), maxLearnChars);
        const learned = await context.step<LearnRecord>("learn:parent", async () => {
          signal.throwIfAborted();
          await context.progress({
            step: "learn",
            percentage: progress.percentage,
            message: `Rereading ${numbered.length} passage${numbered.length === 1 ? "" : "s"} of the earlier research`,
            detail: { kind: "question", id: "question:parent", label: node.question.goal },
          });
          return learnFrom(node, numbered, { parentId: "question:parent", followUps: 0 });
        });
        allLearnings.push(...learned.learnings);
        outcomes.push({ node, learnings: learned.learnings, passages: numbered.length });
      }
      const topQuestions = await planLevel("plan", {
        query: request.query,
        count: request.breadth,
        followUps: [],
      });
      progress.drop((request.breadth - topQuestions.length) * nodeUnits(request.breadth, request.depth));
      for (const [index, question] of topQuestions.entries()) {
        await explore({ id: `${index + 1}`, question, breadth: request.breadth, depth: request.depth });
      }

      signal.throwIfAborted();
      return context.step("report", async () => {
        await context.progress({
          step: "report",
          percentage: RESEARCH_SHARE,
          message: stoppedEarly ? "Writing the report from what was learned so far" : "Writing the report",
        });
        const calls = observe("report");
        const result = await writeReport(context, llm, topQuestions, outcomes, searchRanks, calls.observer);
        await calls.finish("report");
        return result;
      });
    },
  };
}

/** Parent learnings and sources a follow-up starts from, at most (the most relevant first). */
const MAX_PARENT_LEARNINGS = 30;
const MAX_PARENT_SOURCES = 8;

/**
 * A follow-up's parent research, recorded as the `parent` step (so a resumed
 * run starts from the same parent even if the parent ran again since), and
 * shown as a step: which question it follows up and what it starts from.
 */
async function loadParent(context: ResearchContext): Promise<ParentResearch | undefined> {
  const load = context.loadParent;
  if (!load) return undefined;
  return context.step<ParentResearch>("parent", async () => {
    const parent = await load();
    const kept: ParentResearch = {
      id: parent.id,
      query: parent.query,
      learnings: parent.learnings.slice(0, MAX_PARENT_LEARNINGS),
      sources: parent.sources
        .filter((source) => source.passages.length > 0)
        .sort((a, b) => a.number - b.number)
        .slice(0, MAX_PARENT_SOURCES),
    };
    const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
    await context.progress({
      step: "plan",
      percentage: 0,
      message: `Following up “${excerpt(parent.query, 200)}”: starting from its ${count(kept.learnings.length, "learning")} and ${count(kept.sources.length, "source")}`,
    });
    for (const learning of kept.learnings) {
      await context.progress({
        step: "plan",
        percentage: 0,
        message: `Known from “${excerpt(parent.query, 80)}”: ${excerpt(learning, 200)}`,
      });
    }
    return kept;
  });
}

/** The parent's cited sources as read documents: the passages its report cited. */
function parentDocuments(parent: ParentResearch): ReadDocument[] {
  return parent.sources.map((source) => ({ ...sourceRefOf(source), passages: source.passages }));
}

/** Characters of a step's reasoning kept in its "thinking" node. */
const MAX_THINKING_CHARS = 4000;

/** `text` cut to `length` characters at a word, with an ellipsis when cut. */
function excerpt(text: string, length: number): string {
  if (text.length <= length) return text;
  const cut = text.lastIndexOf(" ", length - 1);
  return `${text.slice(0, cut > length / 2 ? cut : length - 1)}…`;
}

interface NumberedPassage {
  number: number;
  document: ReadDocument;
  text: string;
}

/** Numbers the passages of a node's documents from 1, round-robin across documents, within a size budget. */
function numberPassages(documents: readonly ReadDocument[], maxChars: number): NumberedPassage[] {
  const numbered: NumberedPassage[] = [];
  let used = 0;
  const longest = Math.max(0, ...documents.map((document) => document.passages.length));
  for (let round = 0; round < longest; round++) {
    for (const document of documents) {
      const text = document.passages[round];
      if (text === undefined) continue;
      if (used + text.length > maxChars && numbered.length > 0) return numbered;
      used += text.length;
      numbered.push({ number: numbered.length + 1, document, text });
    }
  }
  return numbered;
}

async function writeReport(
  context: ResearchContext,
  llm: LlmProvider,
  topQuestions: readonly SubQuestion[],
  outcomes: readonly NodeOutcome[],
  searchRanks: ReadonlyMap<string, number>,
  observer: ModelCallObserver,
): Promise<ResearchResult> {
  // Citation numbers: the most relevant source is [1] (a function of the recorded learnings and searches only).
  const sources = numberSources(
    outcomes.flatMap(({ learnings }) => learnings),
    { searchRanks },
  );
  const numberOf = (source: SourceRef) => sources.get(sourceKey(source))!.number;
  const cite = (learning: LearningRecord) => ({
    text: learning.text,
    citations: [...new Set(learning.sources.map(numberOf))],
    relevance: learning.relevance,
  });
  const sections = topQuestions.map((question, index) => ({
    heading: question.goal,
    learnings: outcomes
      .filter(({ node }) => node.id === `${index + 1}` || node.id.startsWith(`${index + 1}.`))
      .flatMap(({ learnings }) => learnings)
      .map(cite),
  }));
  // A follow-up's reading of its parent's passages comes after the new findings.
  const earlier = outcomes.find(({ node }) => node.id === "parent");
  if (earlier && earlier.learnings.length > 0)
    sections.push({ heading: earlier.node.question.goal, learnings: earlier.learnings.map(cite) });
  const sourceList = [...sources.values()];
  // A run after a completed one ends with what it found that that one had
  // not: computed from the recorded steps and the run's fixed `previous`, so
  // a resumed run writes the same lists. A model writer summarises them
  // first (the offline one has no summary): a step of its own, so a resumed
  // run writes the same summary; a failed summary is left out, the lists
  // say it all.
  const whatsNew = context.previous
    ? whatsNewSince(
        context.previous,
        sourceList,
        sections.flatMap((section) => section.learnings),
      )
    : undefined;
  const language = context.request.language;
  const phrases = reportPhrases(language);
  const summarize = llm.summarizeWhatsNew?.bind(llm);
  const summary =
    whatsNew && hasNews(whatsNew) && summarize
      ? await context.step("whats-new-summary", async () => {
          try {
            return await summarize({
              ...observer,
              query: context.request.query,
              language: context.request.language,
              since: whatsNew.since,
              sources: whatsNew.sources.map((source) => ({ number: source.number, ...sourceRefOf(source) })),
              learnings: whatsNew.learnings,
              signal: context.signal,
            });
          } catch (error) {
            if (context.signal.aborted) throw error;
            // Optional text: the section is complete without it, and the run should not fail for it.
            return "";
          }
        })
      : "";
  const tail = [
    whatsNew ? whatsNewSection(whatsNew, { summary, language }) : "",
    sourcesSection(sourceList, language),
  ]
    .filter((part) => part !== "")
    .join("\n");

  const chunker = createOutputChunker((text) => context.output(text));
  const prefix = context.reportSoFar;
  const headingAt = prefix.lastIndexOf(
    whatsNew ? `\n${phrases.whatsNewHeadingStart}` : `\n${phrases.sourcesHeading}\n`,
  );
  let report: string;
  if (headingAt >= 0) {
    // The body was finished before the interruption; only the engine's tail (what's new, sources) is left.
    report = prefix.slice(0, headingAt + 1) + tail;
  } else {
    await llm.writeReport({
      ...observer,
      query: context.request.query,
      language: context.request.language,
      sections,
      sources: sourceList.map((source) => ({ number: source.number, ...sourceRefOf(source) })),
      stats: {
        questions: outcomes.length,
        passages: outcomes.reduce((sum, outcome) => sum + outcome.passages, 0),
      },
      prefix,
      emit: (text) => chunker.write(text),
      signal: context.signal,
    });
    const body = prefix + chunker.received;
    const separator = tail === "" ? "" : body.endsWith("\n\n") ? "" : body.endsWith("\n") ? "\n" : "\n\n";
    report = body + separator + tail;
  }
  // Sent text cannot be taken back: should a resumed run's sources list
  // differ from the one already sent, the new list follows the old text.
  if (!report.startsWith(prefix)) report = `${prefix}\n\n${tail}`;
  await chunker.write(report.slice(prefix.length + chunker.received.length));
  await chunker.flush();
  return {
    report,
    sources: sourceList,
    learnings: outcomes.flatMap(({ learnings }) => learnings.map((learning) => learning.text)),
    ...(whatsNew
      ? {
          whatsNew: {
            since: context.previous?.finishedAt ?? whatsNew.since,
            sources: whatsNew.sources.length,
            learnings: whatsNew.learnings.length,
          },
        }
      : {}),
  };
}

/** The identity of a source as events and records carry it (no passages, no number). */
function sourceRefOf(source: SourceRef): SourceRef {
  const { title, url, documentRef, page, unreadable } = source;
  return {
    title,
    ...(url ? { url } : {}),
    ...(documentRef ? { documentRef } : {}),
    ...(page ? { page } : {}),
    ...(unreadable ? { unreadable } : {}),
  };
}
