import PDFDocument from "pdfkit";
import { type ExportDocument, safeHref, sourceAnchor } from "./export-document";
import { type EmbeddedFace, embeddedFont, scriptSegments } from "./pdf-fonts";
import { type Block, type Inline, inlineText } from "./report-blocks";
import { isWinAnsi, toWinAnsi } from "./win-ansi";

const MARGIN = 64;
const BODY_SIZE = 11;
const HEADING_SIZES = [22, 16, 13.5, 12, 11, 11] as const;
const LINK_COLOR = "#0b57d0";
const TEXT_COLOR = "#1c1f24";
const MUTED_COLOR = "#4a5261";
const LIST_INDENT = 18;

/**
 * The report as a PDF with real text (selectable, searchable): headings
 * (also as the PDF's outline), paragraphs, lists, citations that jump to the
 * sources list, the sources with links, page numbers. Text flows onto new
 * pages as it needs; a heading never ends a page.
 *
 * Text in Western European letters (Windows-1252) is set in the PDF
 * standard fonts (Helvetica), which every reader has and which add nothing
 * to the file. Any other text (Chinese, Greek, Cyrillic, Polish…) is set in
 * embedded fonts that cover those scripts (pdf-fonts.ts: Noto Sans and Noto
 * Sans SC, subset to the glyphs used), so it stays real, selectable,
 * searchable text in its own letters.
 */
export function toPdf(document: ExportDocument): Promise<Uint8Array<ArrayBuffer>> {
  const created = document.finishedAt ? new Date(document.finishedAt) : new Date(0);
  const pdf = new PDFDocument({
    size: "A4",
    margins: { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN },
    bufferPages: true,
    displayTitle: true,
    lang: document.language,
    info: {
      Title: metadataText(document.title),
      Creator: "Fathom",
      Producer: "Fathom",
      CreationDate: created,
      ModDate: created,
    },
  });
  const chunks: Uint8Array[] = [];
  const done = new Promise<Uint8Array<ArrayBuffer>>((resolve, reject) => {
    pdf.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    pdf.on("end", () => resolve(new Uint8Array(Buffer.concat(chunks))));
    pdf.on("error", reject);
  });

  const sources = new Set(document.sources.map((source) => source.number));
  const writer = new PdfWriter(pdf, sources);
  for (const block of document.blocks) writer.block(block);
  if (document.sources.length > 0) {
    writer.block({ kind: "heading", level: 2, inlines: [{ kind: "text", text: document.sourcesHeading }] });
    for (const source of document.sources) {
      const runs: Run[] = [{ text: `${source.number}. `, destination: sourceAnchor(source.number) }];
      runs.push(source.href ? { text: source.title, link: source.href } : { text: source.title });
      // The address is printed too: on paper a link is only its text.
      if (source.detail) runs.push({ text: ` — ${source.detail}`, color: MUTED_COLOR });
      writer.paragraph(runs, { indent: 0, gap: 4 });
    }
  }
  writer.pageNumbers();
  pdf.end();
  return done;
}

const STANDARD_FACES = new Set<string>([
  "Helvetica",
  "Helvetica-Bold",
  "Helvetica-Oblique",
  "Helvetica-BoldOblique",
  "Courier",
]);
/** A standard font's name, or an embedded face (pdf-fonts.ts). */
type Face = string;

function standardFace(run: Run): Face {
  if (run.code) return "Courier";
  if (run.bold) return run.italic ? "Helvetica-BoldOblique" : "Helvetica-Bold";
  return run.italic ? "Helvetica-Oblique" : "Helvetica";
}

/**
 * Text for the document's title and outline: pdfkit writes these as PDF
 * text strings, which hold any Unicode; Windows-1252 text is kept as the
 * standard fonts show it.
 */
function metadataText(text: string): string {
  return isWinAnsi(text) ? toWinAnsi(text) : text.replace(/\s+/gu, " ");
}

/** A piece of text with one style. */
interface Run {
  text: string;
  bold?: boolean;
  italic?: boolean;
  code?: boolean;
  link?: string;
  /** A named destination in this document (a citation's source). */
  goTo?: string;
  /** Names this point as a destination. */
  destination?: string;
  color?: string;
}

class PdfWriter {
  readonly #pdf: PDFKit.PDFDocument;
  readonly #sources: ReadonlySet<number>;
  readonly #registered = new Set<Face>();

  constructor(pdf: PDFKit.PDFDocument, sources: ReadonlySet<number>) {
    this.#pdf = pdf;
    this.#sources = sources;
  }

  block(block: Block): void {
    const pdf = this.#pdf;
    switch (block.kind) {
      case "heading": {
        const size = HEADING_SIZES[Math.min(block.level, 6) - 1] ?? BODY_SIZE;
        // Keep a heading with the start of what follows it.
        if (pdf.y + size * 4 > pdf.page.height - pdf.page.margins.bottom) pdf.addPage();
        else if (pdf.y > pdf.page.margins.top) pdf.moveDown(block.level <= 2 ? 0.9 : 0.6);
        const raw = inlineText(block.inlines).trim();
        if (block.level <= 3) pdf.outline.addItem(metadataText(raw));
        const pieces = this.#pieces({ text: raw, bold: true });
        pdf.fontSize(size).fillColor(TEXT_COLOR);
        pieces.forEach((piece, index) => {
          pdf.font(this.#font(piece.face));
          const options = { width: this.#width(0), lineGap: 2, continued: index < pieces.length - 1 };
          if (index === 0) pdf.text(piece.text, MARGIN, pdf.y, options);
          else pdf.text(piece.text, options);
        });
        pdf.moveDown(0.35);
        return;
      }
      case "paragraph":
        this.paragraph(this.#runs(block.inlines), {
          indent: block.quote ? LIST_INDENT : 0,
          ...(block.quote && { color: MUTED_COLOR }),
        });
        return;
      case "list-item": {
        const marker = block.ordered ? `${block.number}. ` : "• ";
        this.paragraph([{ text: marker }, ...this.#runs(block.inlines)], {
          indent: LIST_INDENT * (block.level + 1),
          gap: 3,
        });
        return;
      }
      case "code":
        this.paragraph(
          block.text
            .split("\n")
            .flatMap((line, index) => [
              ...(index > 0 ? [{ text: "\n", code: true }] : []),
              { text: line || " ", code: true },
            ]),
          { indent: LIST_INDENT },
        );
        return;
      case "table":
        for (const row of block.rows) {
          const runs: Run[] = [];
          row.forEach((cell, index) => {
            if (index > 0) runs.push({ text: "  |  ", color: MUTED_COLOR });
            runs.push(...this.#runs(cell));
          });
          this.paragraph(runs, { gap: 2 });
        }
        this.#pdf.moveDown(0.4);
        return;
      case "rule": {
        pdf.moveDown(0.5);
        const y = pdf.y;
        pdf
          .moveTo(MARGIN, y)
          .lineTo(pdf.page.width - MARGIN, y)
          .lineWidth(0.5)
          .strokeColor("#c4c9d0")
          .stroke();
        pdf.moveDown(0.5);
        return;
      }
    }
  }

  /** One paragraph of styled runs, wrapped to the page, `indent` points in from the margin. */
  paragraph(runs: readonly Run[], options: { indent?: number; gap?: number; color?: string } = {}): void {
    const pdf = this.#pdf;
    const visible = runs.flatMap((run) =>
      this.#pieces(run).map((piece, index) => ({
        ...run,
        text: piece.text,
        face: piece.face,
        // A destination names the start of its run only.
        destination: index === 0 ? run.destination : undefined,
      })),
    );
    if (visible.length === 0) return;
    const indent = options.indent ?? 0;
    const x = MARGIN + indent;
    visible.forEach((run, index) => {
      pdf
        .font(this.#font(run.face))
        .fontSize(run.code ? BODY_SIZE - 1 : BODY_SIZE)
        .fillColor(run.link || run.goTo ? LINK_COLOR : (run.color ?? options.color ?? TEXT_COLOR));
      const textOptions: PDFKit.Mixins.TextOptions = {
        width: this.#width(indent),
        lineGap: 2.5,
        continued: index < visible.length - 1,
        // pdfkit keeps a run's link for the runs after it unless told otherwise.
        link: run.link ?? null,
        underline: run.link !== undefined,
        ...(run.goTo && { goTo: run.goTo }),
        ...(run.destination && { destination: run.destination }),
      };
      if (index === 0) pdf.text(run.text, x, pdf.y, textOptions);
      else pdf.text(run.text, textOptions);
    });
    pdf.moveDown((options.gap ?? 8) / BODY_SIZE);
  }

  /** Writes "n / N" at the foot of every page. */
  pageNumbers(): void {
    const pdf = this.#pdf;
    const range = pdf.bufferedPageRange();
    for (let index = range.start; index < range.start + range.count; index++) {
      pdf.switchToPage(index);
      // Writing inside the bottom margin would otherwise start a new page.
      const bottom = pdf.page.margins.bottom;
      pdf.page.margins.bottom = 0;
      pdf
        .font("Helvetica")
        .fontSize(9)
        .fillColor(MUTED_COLOR)
        .text(`${index + 1} / ${range.count}`, MARGIN, pdf.page.height - MARGIN / 2, {
          width: this.#width(0),
          align: "center",
          lineBreak: false,
        });
      pdf.page.margins.bottom = bottom;
    }
  }

  /**
   * A run as the pieces that draw it: one piece in a standard font when the
   * standard fonts can draw its text (Windows-1252, as before embedded fonts
   * existed), else one piece per script in the embedded fonts.
   */
  #pieces(run: Run): { text: string; face: Face }[] {
    if (isWinAnsi(run.text)) {
      const text = toWinAnsi(run.text);
      return text === "" ? [] : [{ text, face: standardFace(run) }];
    }
    // Tabs and line breaks become spaces (kept inside code), as toWinAnsi does.
    const text = run.code ? run.text : run.text.replace(/\s/gu, " ");
    return scriptSegments(text.replace(/\p{Cc}(?<!\n)|\p{Cf}/gu, "")).map((segment) => ({
      text: segment.text,
      face:
        segment.family === "cjk"
          ? run.bold
            ? "cjk-bold"
            : "cjk"
          : run.bold
            ? "latin-bold"
            : run.italic
              ? "latin-italic"
              : "latin",
    }));
  }

  /** The font name to select for a face; an embedded face is registered on first use. */
  #font(face: Face): string {
    if (STANDARD_FACES.has(face)) return face;
    const name = `Fathom-${face}`;
    if (!this.#registered.has(face)) {
      this.#pdf.registerFont(name, embeddedFont(face as EmbeddedFace));
      this.#registered.add(face);
    }
    return name;
  }

  #width(indent: number): number {
    return this.#pdf.page.width - 2 * MARGIN - indent;
  }

  #runs(inlines: readonly Inline[]): Run[] {
    return inlines.map((inline): Run => {
      switch (inline.kind) {
        case "text":
          return {
            text: inline.text,
            ...(inline.strong && { bold: true }),
            ...(inline.emphasis && { italic: true }),
            ...(inline.code && { code: true }),
          };
        case "link": {
          const href = safeHref(inline.url);
          return href ? { text: inline.text, link: href } : { text: inline.text };
        }
        case "citation":
          return this.#sources.has(inline.number)
            ? { text: String(inline.number), goTo: sourceAnchor(inline.number) }
            : { text: String(inline.number) };
      }
      return { text: "" };
    });
  }
}
