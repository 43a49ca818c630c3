import type { Brain, BrainAnswer, BrainRequest, JsonMode, ResearchStep } from "./types";

/**
 * Every reasoning text the research brain produces contains this word, so a
 * test can assert that reasoning never reaches a report.
 */
export const THINKING_MARKER = "THINKING-MARKER";

/**
 * The research step of a prompt, by the markers Fathom's prompts carry. A
 * continuation request repeats the report instructions, so it is checked first.
 */
export function detectStep(text: string): ResearchStep {
  if (text.includes("The report was interrupted")) return "continuation";
  if (text.includes("Write a detailed research report")) return "report";
  if (text.includes("Extract at most")) return "learn";
  if (text.includes("Plan the research")) return "plan";
  return "other";
}

/**
 * A research model for Fathom's prompts, deterministic so a regenerated
 * report is the same text:
 * - plan: search queries derived from the `<question>`, at most the number asked;
 * - learn: one learning per numbered passage (its first sentence), citing it;
 * - report: `# Title`, `## Summary`, `## Findings`, citing only the numbers in
 *   the "Sources (cite them by number):" list, never a sources list;
 * - continuation: the rest of the report after `<written>`, repeating the last
 *   few words as models do.
 * JSON modes answer JSON only; plain-text mode wraps the JSON in prose and a
 * fenced block. Every answer comes with reasoning containing `THINKING_MARKER`.
 */
export const researchBrain: Brain = (request) => {
  const text = `${request.system}\n\n${request.prompt}`;
  const question = tagContent(text, "question") ?? lastUserText(request) ?? "the question";
  const reasoning = `${THINKING_MARKER} Let me think about "${oneLine(question)}". ${REASONING[request.step]}`;
  switch (request.step) {
    case "plan":
      return json(request.jsonMode, planAnswer(text, question), "Here is the research plan.", reasoning);
    case "learn":
      return json(request.jsonMode, learnAnswer(text), "Here is what the passages say.", reasoning);
    case "report":
      return { text: reportText(text, question), reasoning };
    case "continuation":
      return { text: continuationText(text, question), reasoning };
    case "other":
      return request.jsonMode === "none"
        ? { text: `I am a research assistant. You asked: ${oneLine(lastUserText(request) ?? "")}`, reasoning }
        : { text: JSON.stringify({ answer: oneLine(lastUserText(request) ?? "") }), reasoning };
  }
};

const REASONING: Record<ResearchStep, string> = {
  plan: "I should split it into distinct searches, each with its own goal.",
  learn: "I should keep only what the numbered passages actually say, with their numbers.",
  report: "I should summarise first, then give the findings, citing every claim.",
  continuation: "I should pick up exactly where the written part stops.",
  other: "I should answer briefly.",
};

function json(mode: JsonMode, value: unknown, preface: string, reasoning: string): BrainAnswer {
  if (mode !== "none") return { text: JSON.stringify(value), reasoning };
  return {
    text: `${preface}\n\n\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\`\n\nLet me know if you need more detail.`,
    reasoning,
  };
}

const STOPWORDS = new Set(
  "a an and are as at be by did do does for from has have how in is it its of on or that the this to was were what when where which who why will with".split(
    " ",
  ),
);

function keyTerms(question: string): string {
  const words = question
    .replace(/[^\p{L}\p{N}\s-]/gu, " ")
    .split(/\s+/)
    .filter((word) => word !== "" && !STOPWORDS.has(word.toLowerCase()));
  return words.slice(0, 6).join(" ") || question;
}

const QUERY_SHAPES: { suffix: string; goal: string }[] = [
  { suffix: "", goal: "Find a direct answer to the question" },
  { suffix: " overview", goal: "Get an overview of the topic and its key facts" },
  { suffix: " evidence and data", goal: "Find figures, dates and studies that support an answer" },
  { suffix: " criticism and limitations", goal: "Find counter-evidence and open questions" },
  { suffix: " history and background", goal: "Understand how the situation came about" },
  { suffix: " latest developments", goal: "Find what changed most recently" },
];

function planAnswer(text: string, question: string) {
  const asked = Number(/at most (\d+) search quer/i.exec(text)?.[1] ?? 3);
  const terms = keyTerms(question);
  const queries = [];
  for (let index = 0; index < asked; index++) {
    const shape = QUERY_SHAPES[index % QUERY_SHAPES.length]!;
    const round = Math.floor(index / QUERY_SHAPES.length);
    const query =
      index === 0
        ? oneLine(question).replace(/\?$/, "")
        : `${terms}${shape.suffix}${round > 0 ? ` ${round + 1}` : ""}`;
    queries.push({ query, researchGoal: `${shape.goal}: ${oneLine(question)}` });
  }
  return { queries };
}

interface Passage {
  number: number;
  title: string;
  body: string;
}

/** The numbered passages of a `<passages>` block: each starts with `[n] Title` on its own line. */
export function parsePassages(text: string): Passage[] {
  const block = tagContent(text, "passages") ?? "";
  const passages: Passage[] = [];
  for (const line of block.split("\n")) {
    const header = /^\[(\d+)\]\s+(.+)$/.exec(line.trim());
    if (header) {
      passages.push({ number: Number(header[1]), title: header[2]!.trim(), body: "" });
    } else if (passages.length > 0) {
      const last = passages[passages.length - 1]!;
      last.body = `${last.body} ${line.trim()}`.trim();
    }
  }
  return passages;
}

function learnAnswer(text: string) {
  const asked = Number(/Extract at most (\d+)/i.exec(text)?.[1] ?? 3);
  const learnings = parsePassages(text)
    .slice(0, asked)
    .map((passage) => ({ text: firstSentence(passage.body) || passage.title, sources: [passage.number] }));
  return { learnings, followUpQuestions: [] as string[] };
}

/** The `[n] Title` lines after "Sources (cite them by number):". */
export function parseSources(text: string): { number: number; title: string }[] {
  const start = text.indexOf("Sources (cite them by number):");
  if (start < 0) return [];
  const sources = [];
  for (const line of text.slice(start).split("\n").slice(1)) {
    const match = /^\[(\d+)\]\s+(.+)$/.exec(line.trim());
    if (match)
      sources.push({
        number: Number(match[1]),
        title: match[2]!.replace(/\s+(<[^>]*>|\([^)]*\))$/, "").trim(),
      });
    else if (line.trim() !== "" || sources.length > 0) break;
  }
  return sources;
}

interface Finding {
  heading: string;
  sentences: string[];
}

/**
 * What the report can say: the `- text [n]` lines of a `<learnings>` block
 * (grouped under their "Sub-question:" lines), or else one sentence per source.
 * Citations not in the sources list are dropped.
 */
function findings(text: string, question: string, sources: { number: number; title: string }[]): Finding[] {
  const known = new Set(sources.map((source) => source.number));
  const cite = (numbers: number[]) =>
    numbers
      .filter((number) => known.has(number))
      .map((number) => `[${number}]`)
      .join("");
  const block = tagContent(text, "learnings");
  if (block) {
    const groups: Finding[] = [];
    for (const line of block.split("\n")) {
      const heading = /^Sub-question:\s*(.+)$/.exec(line.trim());
      if (heading) {
        groups.push({ heading: heading[1]!.trim(), sentences: [] });
        continue;
      }
      const item = /^-\s+(.+)$/.exec(line.trim());
      if (!item) continue;
      const numbers = [...item[1]!.matchAll(/\[(\d+)\]/g)].map((match) => Number(match[1]));
      const sentence = item[1]!.replace(/\s*(\[\d+\])+\s*$/, "").trim();
      if (groups.length === 0) groups.push({ heading: "Findings", sentences: [] });
      const citation = cite(numbers);
      groups[groups.length - 1]!.sentences.push(
        citation === "" ? sentence : `${withoutStop(sentence)} ${citation}.`,
      );
    }
    if (groups.some((group) => group.sentences.length > 0))
      return groups.filter((group) => group.sentences.length);
  }
  return [
    {
      heading: "What the sources say",
      sentences: sources.map(
        (source) =>
          `${source.title} bears directly on the question "${oneLine(question)}" [${source.number}].`,
      ),
    },
  ];
}

function reportText(text: string, question: string): string {
  const sources = parseSources(text);
  const groups = findings(text, question, sources);
  const all = groups.flatMap((group) => group.sentences);
  const summary = all.slice(0, 3);
  if (summary.length === 0) summary.push(`The research found little on ${oneLine(question)}.`);
  const sections = groups.map((group) => `### ${group.heading}\n\n${group.sentences.join(" ")}\n`).join("\n");
  return (
    `# ${oneLine(question).replace(/\?$/, "")}\n\n` +
    `## Summary\n\n${summary.join(" ")}\n\n` +
    `## Findings\n\n${sections}\n` +
    "Taken together, the sources agree on the main points above; where they differ, the difference is noted " +
    "with the source that reports it.\n"
  );
}

/** How many trailing words of the written part a continuation repeats. */
const OVERLAP_WORDS = 3;
/** …and never more than this many characters of it. */
const MAX_OVERLAP_CHARS = 40;

function continuationText(text: string, question: string): string {
  const written = /<written>\n([\s\S]*)\n<\/written>/.exec(text)?.[1] ?? tagContent(text, "written") ?? "";
  const full = reportText(text, question);
  if (written.length > 0 && full.startsWith(written)) {
    if (written.length >= full.length) return "";
    // Back up over the last few words: real models repeat a little of what was written.
    let from = written.length;
    for (let words = 0; words < OVERLAP_WORDS && from > 0; words++) {
      from = written.lastIndexOf(" ", from - 2) + 1;
    }
    return full.slice(Math.max(from, written.length - MAX_OVERLAP_CHARS));
  }
  // Not our own report: carry on with the findings.
  return full.slice(full.indexOf("## Findings"));
}

function tagContent(text: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(text);
  return match ? match[1]!.trim() : undefined;
}

function lastUserText(request: BrainRequest): string | undefined {
  return request.messages.filter((message) => message.role === "user").at(-1)?.text;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function firstSentence(text: string): string {
  const match = /^(.+?[.!?])(\s|$)/.exec(oneLine(text));
  return match ? match[1]! : oneLine(text);
}

function withoutStop(sentence: string): string {
  return sentence.replace(/[.!?]+$/, "");
}
