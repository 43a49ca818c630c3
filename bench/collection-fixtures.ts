/**
 * Generated documents for the collections bench: text made of real sentences
 * of the State of the Union addresses, shuffled with a seeded generator, so
 * the vocabulary and its frequencies are those of real prose while every
 * document (and every run) is different from the corpus itself and the same
 * from run to run.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { createSotuCorpus } from "../lib/research/corpus/sotu-corpus";
import { makePdf } from "../lib/research/documents/testing/make-pdf";
import { splitSentences } from "../lib/research/text/sentences";
import { random } from "./support";

/** Sentences of the corpus, 40–400 characters, in corpus order. */
export async function corpusSentences(): Promise<string[]> {
  const documents = await createSotuCorpus(undefined, { prebuiltIndexFile: null }).loadDocuments();
  const sentences: string[] = [];
  for (const document of documents) {
    for (const sentence of splitSentences(document.text)) {
      if (sentence.length >= 40 && sentence.length <= 400) sentences.push(sentence);
    }
  }
  return sentences;
}

/** Draws paragraphs of 2–7 corpus sentences with a seeded generator. */
export class ProseGenerator {
  readonly #sentences: readonly string[];
  readonly #next: () => number;

  constructor(sentences: readonly string[], seed: number) {
    this.#sentences = sentences;
    this.#next = random(seed);
  }

  sentence(): string {
    return this.#sentences[Math.floor(this.#next() * this.#sentences.length)]!;
  }

  paragraph(): string {
    const count = 2 + Math.floor(this.#next() * 6);
    return Array.from({ length: count }, () => this.sentence()).join(" ");
  }

  /** Paragraphs until the text reaches `characters`. */
  text(characters: number): string[] {
    const paragraphs: string[] = [];
    let length = 0;
    while (length < characters) {
      const paragraph = this.paragraph();
      paragraphs.push(paragraph);
      length += paragraph.length + 2;
    }
    return paragraphs;
  }

  /** A number in [low, high). */
  between(low: number, high: number): number {
    return low + Math.floor(this.#next() * (high - low));
  }

  /** A short title from the words of a sentence. */
  title(): string {
    const words = this.sentence()
      .replace(/[^\p{L}\p{N}' -]/gu, "")
      .split(/\s+/)
      .filter((word) => word.length > 3);
    const start = this.between(0, Math.max(1, words.length - 4));
    const picked = words.slice(start, start + 4).join(" ");
    return picked === "" ? "Notes" : picked[0]!.toUpperCase() + picked.slice(1);
  }
}

/** Text Helvetica can show (Windows-1252): typographic marks made plain, other characters dropped. */
export function toWinAnsi(text: string): string {
  return text
    .replace(/[‘’]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/[–—]/g, "-")
    .normalize("NFKD")
    .replace(/[^\x20-\x7e\n]/g, "");
}

const LINE = 90;
const LINES_PER_PAGE = 44;

/** Lines of at most `LINE` characters, cut between words. */
function wrap(paragraph: string): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of paragraph.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > LINE) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

/**
 * The text of a generated PDF's pages: full pages of wrapped lines with a
 * blank line between paragraphs (about 3,500 characters, like a printed
 * page). The last page ends with `lastPageSentence` when given.
 */
export function pdfPages(prose: ProseGenerator, count: number, lastPageSentence?: string): string[] {
  const pages: string[] = [];
  for (let number = 1; number <= count; number++) {
    const lines: string[] = [];
    const reserved = number === count && lastPageSentence ? wrap(toWinAnsi(lastPageSentence)) : [];
    while (lines.length < LINES_PER_PAGE - reserved.length - 1) {
      if (lines.length > 0) lines.push("");
      lines.push(...wrap(toWinAnsi(prose.paragraph())));
    }
    lines.length = Math.min(lines.length, LINES_PER_PAGE - reserved.length - 1);
    if (reserved.length > 0) lines.push("", ...reserved);
    pages.push(lines.join("\n"));
  }
  return pages;
}

/** A generated PDF of `count` pages (see `pdfPages`). */
export function generatedPdf(
  prose: ProseGenerator,
  count: number,
  options: { title: string; lastPageSentence?: string },
): Promise<Uint8Array> {
  return makePdf(pdfPages(prose, count, options.lastPageSentence), { title: options.title });
}

/** A Markdown file: a heading, then paragraphs (some under subheadings), about `characters` long. */
export function generatedMarkdown(prose: ProseGenerator, title: string, characters: number): string {
  const parts = [`# ${title}`];
  for (const [index, paragraph] of prose.text(characters).entries()) {
    if (index > 0 && index % 6 === 0) parts.push(`## ${prose.title()}`);
    parts.push(paragraph);
  }
  return `${parts.join("\n\n")}\n`;
}

const questionsSchema = z.object({
  questions: z.array(z.object({ question: z.string(), evidence: z.string() })),
});

/**
 * About 200 queries as research asks them: the offline evaluation's
 * questions and their evidence phrases (130), then phrases of 3–8 words cut
 * from corpus sentences.
 */
export function benchQueries(prose: ProseGenerator, count = 200): string[] {
  const file = path.join(__dirname, "eval", "sotu-questions.json");
  const { questions } = questionsSchema.parse(JSON.parse(readFileSync(file, "utf8")));
  const queries = questions.flatMap((entry) => [entry.question, entry.evidence]);
  while (queries.length < count) {
    const words = prose.sentence().split(" ");
    const length = prose.between(3, 9);
    const start = prose.between(0, Math.max(1, words.length - length));
    queries.push(words.slice(start, start + length).join(" "));
  }
  return queries.slice(0, count);
}
