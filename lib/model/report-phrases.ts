/**
 * The words the engine and the offline writer put into a report themselves
 * (headings, the summary, "nothing found", the sources list, "What's new"),
 * in the request's language: Chinese (Simplified) for a `zh` tag, English
 * for every other tag. A model writes its own text in the request's
 * language (model-llm.ts); these are the phrases no model writes.
 *
 * The English phrases are the reports' text as it always was, byte for byte:
 * a task's fingerprint does not change with this module, so a report written
 * before it and one written after must read the same.
 */
export interface ReportPhrases {
  /** The summary's heading (`## …`). */
  summaryHeading: string;
  /** The summary's first sentence. */
  gathered(counts: { findings: number; sources: number; questions: number; passages: number }): string;
  /** The summary's quote of the most relevant passage (`title` is already in markdown). */
  mostRelevant(title: string, quoted: string, citations: string): string;
  /** The title of a source the summary cannot name. */
  aSource: string;
  seeAlso(title: string, citations: string): string;
  /** The summary's last sentence. */
  groupedBelow: string;
  /** The whole paragraph of a report that found nothing. */
  nothingFound: string;
  /** The note before a report written again after an interruption (markdown). */
  rewritten: string;
  /** The sources list's heading, with its `## `. */
  sourcesHeading: string;
  untitled: string;
  pageNotRead: string;
  /** A cited page of a collection's document, after its title. */
  page(number: number): string;
  /** The start of the "What's new" heading, with its `## `; `since` follows it. */
  whatsNewHeadingStart: string;
  /** What follows `since` in the "What's new" heading. */
  whatsNewHeadingEnd: string;
  nothingNewSince(since: string): string;
  newSources(count: number): string;
  noNewSources: string;
  newLearnings(count: number): string;
  noNewLearnings: string;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;

const english: ReportPhrases = {
  summaryHeading: "## Summary",
  gathered: ({ findings, sources, questions, passages }) =>
    `This report gathers ${plural(findings, "finding")} from ${plural(sources, "source")}, ` +
    `found by researching ${plural(questions, "question")} over ${plural(passages, "passage")}.`,
  mostRelevant: (title, quoted, citations) =>
    `The most relevant passage comes from ${title}: ${quoted} ${citations}.`,
  aSource: "a source",
  seeAlso: (title, citations) => `See also ${title} ${citations}.`,
  groupedBelow: "The findings below are quoted from the sources, grouped by the question that found them.",
  nothingFound:
    "Nothing relevant was found for this question: the searches returned no passages to learn from, so this report has no findings and no sources. Try other key words, a broader question, or another search provider.",
  rewritten: "*The report was rewritten after an interruption.*",
  sourcesHeading: "## Sources",
  untitled: "Untitled",
  pageNotRead: "(page not read)",
  page: (number) => `page ${number}`,
  whatsNewHeadingStart: "## What's new since ",
  whatsNewHeadingEnd: "",
  nothingNewSince: (since) => `Nothing new since ${since}.`,
  newSources: (count) => `New sources (${count}):`,
  noNewSources: "No new sources.",
  newLearnings: (count) => `New learnings (${count}):`,
  noNewLearnings: "No new learnings.",
};

const chinese: ReportPhrases = {
  summaryHeading: "## 摘要",
  gathered: ({ findings, sources, questions, passages }) =>
    `本报告汇集了来自 ${sources} 个来源的 ${findings} 条发现，` +
    `这些发现是通过研究 ${questions} 个问题、阅读 ${passages} 个段落得到的。`,
  mostRelevant: (title, quoted, citations) => `最相关的段落来自 ${title}：${quoted} ${citations}。`,
  aSource: "某个来源",
  seeAlso: (title, citations) => `另见 ${title} ${citations}。`,
  groupedBelow: "以下发现均引自各来源，并按发现它们的问题分组。",
  nothingFound:
    "没有找到与此问题相关的内容：搜索没有返回可供研究的段落，因此本报告没有发现，也没有来源。请尝试其他关键词、更宽泛的问题或其他搜索服务。",
  rewritten: "*本报告在中断后已重新撰写。*",
  sourcesHeading: "## 来源",
  untitled: "无标题",
  pageNotRead: "（未读取该页面）",
  page: (number) => `第 ${number} 页`,
  whatsNewHeadingStart: "## 新内容（自 ",
  whatsNewHeadingEnd: " 以来）",
  nothingNewSince: (since) => `自 ${since} 以来没有新内容。`,
  newSources: (count) => `新来源（${count}）：`,
  noNewSources: "没有新来源。",
  newLearnings: (count) => `新发现（${count}）：`,
  noNewLearnings: "没有新发现。",
};

/**
 * Whether a language tag asks for Chinese: its primary subtag is `zh`
 * (`zh`, `zh-CN`, `zh-Hans`, `ZH-cn`…). The phrases are Simplified Chinese,
 * the only Chinese written here, so `zh-TW` and `zh-Hant` get them too.
 */
export function isChinese(language: string): boolean {
  return /^zh(?:-|$)/i.test(language.trim());
}

/** The phrases for a request's language tag (English unless it is Chinese). */
export function reportPhrases(language: string | undefined): ReportPhrases {
  return language !== undefined && isChinese(language) ? chinese : english;
}

/** Every language's sources heading, with its `## ` (to find the list in a report of any language). */
export const SOURCES_HEADINGS: readonly string[] = [english.sourcesHeading, chinese.sourcesHeading];
