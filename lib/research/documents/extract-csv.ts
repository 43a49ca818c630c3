import { CsvError, parse } from "csv-parse";
import { decodeText } from "./decode-text";
import { unreadableDocument } from "./document-errors";
import { isTabSeparatedName } from "./document-types";
import { type ExtractedPages, type ExtractionContext, yieldToEventLoop } from "./extraction-context";
import { paginate } from "./paginate";

/** Characters handed to the parser between two turns of the event loop. */
const SLICE = 256 * 1024;

/**
 * A CSV (or TSV) file as readable text: the first row names the columns and
 * every other row becomes one paragraph "column: value; column: value"
 * (empty cells left out), so a passage quoted from it says what each value
 * is. The delimiter is a tab for `.tsv` names, else the most frequent of
 * `,` `;` tab `|` on the first line. Parsed in slices between turns of the
 * event loop, so a large file neither blocks the process nor ignores an abort.
 */
export async function extractCsv(bytes: Uint8Array, context: ExtractionContext): Promise<ExtractedPages> {
  const { filename, declaredType, signal } = context;
  const text = decodeText(bytes).text;
  const delimiter = isTabSeparatedName(filename, declaredType) ? "\t" : guessDelimiter(text);
  const parser = parse({
    delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    skip_records_with_empty_values: true,
    trim: true,
  });
  const rows: string[] = [];
  let header: string[] | undefined;
  let failure: unknown;
  parser.on("readable", () => {
    for (let record: string[] | null = parser.read(); record !== null; record = parser.read()) {
      if (header === undefined) header = record;
      else rows.push(rowText(header, record));
    }
  });
  parser.on("error", (error) => {
    failure = error;
  });
  const ended = new Promise<void>((resolve) => parser.on("end", resolve).on("error", () => resolve()));
  try {
    for (let at = 0; at < text.length && failure === undefined; at += SLICE) {
      parser.write(text.slice(at, at + SLICE));
      await yieldToEventLoop(signal);
    }
  } catch (error) {
    parser.destroy();
    throw error;
  }
  if (failure === undefined) parser.end();
  await ended;
  if (failure !== undefined) {
    const line = failure instanceof CsvError ? (failure as { lines?: unknown }).lines : undefined;
    const where = typeof line === "number" ? ` (line ${line})` : "";
    throw unreadableDocument(filename, `is not valid CSV${where}: ${(failure as Error).message}`, failure);
  }
  // A file of one row has no data rows: its only row is its content.
  if (rows.length === 0 && header !== undefined) rows.push(header.filter((cell) => cell !== "").join("; "));
  return { pages: paginate(rows.join("\n\n")) };
}

function rowText(header: string[], record: string[]): string {
  const parts: string[] = [];
  for (const [index, value] of record.entries()) {
    if (value === "") continue;
    const name = header[index]?.trim() || `column ${index + 1}`;
    parts.push(record.length === 1 && header.length <= 1 ? value : `${name}: ${value}`);
  }
  return parts.join("; ");
}

/** The candidate delimiter that occurs most often on the first line, outside quotes. */
function guessDelimiter(text: string): string {
  const firstLine = (text.replace(/^\uFEFF/, "").split(/\r?\n/, 1)[0] ?? "").replace(/"[^"]*"/g, "");
  let best = ",";
  let bestCount = 0;
  for (const candidate of [",", ";", "\t", "|"]) {
    const count = firstLine.split(candidate).length - 1;
    if (count > bestCount) {
      best = candidate;
      bestCount = count;
    }
  }
  return best;
}
