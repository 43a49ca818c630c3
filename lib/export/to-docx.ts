import { type ExportDocument, safeHref, sourceAnchor } from "./export-document";
import type { Block, Inline } from "./report-blocks";
import { writeZip } from "./zip-writer";

const W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const RELS = "http://schemas.openxmlformats.org/package/2006/relationships";
const HYPERLINK_TYPE = `${R}/hyperlink`;

/**
 * The report as a Word document (.docx, WordprocessingML written directly):
 * heading styles (Word's navigation pane and table of contents see them),
 * real bulleted and numbered lists, tables, citations that jump to the
 * sources list (bookmarks), and the sources with their links. The same
 * report gives the same bytes.
 */
export function toDocx(document: ExportDocument): Uint8Array<ArrayBuffer> {
  const writer = new DocxWriter(new Set(document.sources.map((source) => source.number)));
  for (const block of document.blocks) writer.block(block);
  if (document.sources.length > 0) {
    writer.block({ kind: "heading", level: 2, inlines: [{ kind: "text", text: document.sourcesHeading }] });
    for (const source of document.sources) {
      const title = source.href ? writer.hyperlink(source.href, source.title) : run(source.title);
      const detail =
        source.detail && source.detail !== source.href ? run(` — ${source.detail}`, { color: "4A5261" }) : "";
      writer.paragraph(
        `${writer.bookmark(sourceAnchor(source.number), run(`${source.number}. `))}${title}${detail}`,
        "Source",
      );
    }
  }
  const created = document.finishedAt ?? "1980-01-01T00:00:00Z";
  return writeZip([
    { name: "[Content_Types].xml", data: CONTENT_TYPES },
    { name: "_rels/.rels", data: PACKAGE_RELS },
    { name: "docProps/core.xml", data: coreProperties(document.title, created) },
    { name: "word/document.xml", data: writer.document() },
    { name: "word/_rels/document.xml.rels", data: writer.relationships() },
    { name: "word/styles.xml", data: styles(document.language) },
    { name: "word/numbering.xml", data: writer.numbering() },
  ]);
}

/**
 * Text safe in XML content and attributes. Characters XML 1.0 cannot hold
 * at all (most control characters, lone surrogates, U+FFFE/U+FFFF) are
 * dropped: a report that somehow carries one still exports.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/[&<>"]/g, (character) => `&#${character.charCodeAt(0)};`);
}

interface RunStyle {
  bold?: boolean;
  italic?: boolean;
  code?: boolean;
  color?: string;
  style?: string;
}

function run(text: string, style: RunStyle = {}): string {
  const properties = [
    style.style ? `<w:rStyle w:val="${style.style}"/>` : "",
    style.code ? '<w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/>' : "",
    style.bold ? "<w:b/>" : "",
    style.italic ? "<w:i/>" : "",
    style.color ? `<w:color w:val="${style.color}"/>` : "",
  ].join("");
  // A line break inside code is a <w:br/>, not a new paragraph.
  const pieces = text.split("\n").map((piece) => `<w:t xml:space="preserve">${escapeXml(piece)}</w:t>`);
  return `<w:r>${properties ? `<w:rPr>${properties}</w:rPr>` : ""}${pieces.join("<w:br/>")}</w:r>`;
}

class DocxWriter {
  readonly #body: string[] = [];
  readonly #links: string[] = [];
  /** Numbering instances: one per list, so each numbered list starts at its own number. */
  readonly #lists = new Map<number, { numId: number; ordered: boolean; level: number; start: number }>();
  readonly #sources: ReadonlySet<number>;
  #bookmarks = 0;

  constructor(sources: ReadonlySet<number>) {
    this.#sources = sources;
  }

  block(block: Block): void {
    switch (block.kind) {
      case "heading":
        this.paragraph(this.#inlines(block.inlines), `Heading${Math.min(Math.max(block.level, 1), 6)}`);
        return;
      case "paragraph":
        this.paragraph(this.#inlines(block.inlines), block.quote ? "Quote" : undefined);
        return;
      case "list-item": {
        let list = this.#lists.get(block.list);
        if (!list) {
          list = {
            numId: this.#lists.size + 1,
            ordered: block.ordered,
            level: block.level,
            start: block.number,
          };
          this.#lists.set(block.list, list);
        }
        const level = Math.min(block.level, 8);
        this.#body.push(
          `<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="${level}"/><w:numId w:val="${list.numId}"/></w:numPr></w:pPr>${this.#inlines(block.inlines)}</w:p>`,
        );
        return;
      }
      case "code":
        this.paragraph(run(block.text, { code: true }), "Code");
        return;
      case "table": {
        const columns = Math.max(1, ...block.rows.map((row) => row.length));
        const grid = Array.from(
          { length: columns },
          () => `<w:gridCol w:w="${Math.floor(9000 / columns)}"/>`,
        );
        const rows = block.rows.map(
          (row, index) =>
            `<w:tr>${index === 0 ? "<w:trPr><w:tblHeader/></w:trPr>" : ""}${Array.from(
              { length: columns },
              (_, column) =>
                `<w:tc><w:tcPr><w:tcW w:w="${Math.floor(9000 / columns)}" w:type="dxa"/></w:tcPr><w:p>${this.#inlines(row[column] ?? [], index === 0)}</w:p></w:tc>`,
            ).join("")}</w:tr>`,
        );
        this.#body.push(
          `<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/></w:tblPr><w:tblGrid>${grid.join("")}</w:tblGrid>${rows.join("")}</w:tbl>`,
        );
        // Word needs a paragraph between two tables, and one after a table at the end.
        this.paragraph("");
        return;
      }
      case "rule":
        this.#body.push(
          '<w:p><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="C4C9D0"/></w:pBdr></w:pPr></w:p>',
        );
        return;
    }
  }

  paragraph(content: string, style?: string): void {
    this.#body.push(`<w:p>${style ? `<w:pPr><w:pStyle w:val="${style}"/></w:pPr>` : ""}${content}</w:p>`);
  }

  /** A link to a web address (a relationship of the document part). */
  hyperlink(href: string, text: string): string {
    this.#links.push(href);
    const id = `rIdLink${this.#links.length}`;
    return `<w:hyperlink r:id="${id}" w:history="1">${run(text, { style: "Hyperlink" })}</w:hyperlink>`;
  }

  bookmark(name: string, content: string): string {
    const id = this.#bookmarks++;
    return `<w:bookmarkStart w:id="${id}" w:name="${escapeXml(name)}"/>${content}<w:bookmarkEnd w:id="${id}"/>`;
  }

  document(): string {
    return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="${W}" xmlns:r="${R}"><w:body>${this.#body.join("")}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1280" w:right="1280" w:bottom="1280" w:left="1280" w:header="708" w:footer="708" w:gutter="0"/></w:sectPr></w:body></w:document>`;
  }

  relationships(): string {
    const links = this.#links.map(
      (href, index) =>
        `<Relationship Id="rIdLink${index + 1}" Type="${HYPERLINK_TYPE}" Target="${escapeXml(href)}" TargetMode="External"/>`,
    );
    return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="${RELS}"><Relationship Id="rIdStyles" Type="${R}/styles" Target="styles.xml"/><Relationship Id="rIdNumbering" Type="${R}/numbering" Target="numbering.xml"/>${links.join("")}</Relationships>`;
  }

  numbering(): string {
    const level = (ilvl: number, ordered: boolean) => {
      const indent = 720 * (ilvl + 1);
      const format = ordered
        ? `<w:numFmt w:val="${["decimal", "lowerLetter", "lowerRoman"][ilvl % 3]}"/><w:lvlText w:val="%${ilvl + 1}."/>`
        : `<w:numFmt w:val="bullet"/><w:lvlText w:val="${["•", "◦", "▪"][ilvl % 3]}"/>`;
      return `<w:lvl w:ilvl="${ilvl}"><w:start w:val="1"/>${format}<w:lvlJc w:val="left"/><w:pPr><w:ind w:left="${indent}" w:hanging="360"/></w:pPr></w:lvl>`;
    };
    const abstract = (id: number, ordered: boolean) =>
      `<w:abstractNum w:abstractNumId="${id}"><w:multiLevelType w:val="hybridMultilevel"/>${Array.from(
        { length: 9 },
        (_, ilvl) => level(ilvl, ordered),
      ).join("")}</w:abstractNum>`;
    const instances = [...this.#lists.values()].map(
      (list) =>
        `<w:num w:numId="${list.numId}"><w:abstractNumId w:val="${list.ordered ? 1 : 0}"/>${
          list.ordered
            ? `<w:lvlOverride w:ilvl="${Math.min(list.level, 8)}"><w:startOverride w:val="${list.start}"/></w:lvlOverride>`
            : ""
        }</w:num>`,
    );
    return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:numbering xmlns:w="${W}">${abstract(0, false)}${abstract(1, true)}${instances.join("")}</w:numbering>`;
  }

  #inlines(inlines: readonly Inline[], bold = false): string {
    return inlines
      .map((inline) => {
        switch (inline.kind) {
          case "text":
            return run(inline.text, {
              bold: bold || inline.strong,
              ...(inline.emphasis && { italic: true }),
              ...(inline.code && { code: true }),
            });
          case "link": {
            const href = safeHref(inline.url);
            return href ? this.hyperlink(href, inline.text) : run(inline.text);
          }
          case "citation":
            return this.#sources.has(inline.number)
              ? `<w:hyperlink w:anchor="${sourceAnchor(inline.number)}">${run(String(inline.number), { style: "Hyperlink" })}</w:hyperlink>`
              : run(String(inline.number));
        }
        return "";
      })
      .join("");
  }
}

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.numbering+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`;

const PACKAGE_RELS = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="${RELS}"><Relationship Id="rId1" Type="${R}/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`;

function coreProperties(title: string, created: string): string {
  const date = escapeXml(new Date(created).toISOString().replace(/\.\d{3}Z$/, "Z"));
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>${escapeXml(title)}</dc:title><dc:creator>Fathom</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">${date}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">${date}</dcterms:modified></cp:coreProperties>`;
}

function styles(language: string): string {
  const heading = (level: number, size: number) =>
    `<w:style w:type="paragraph" w:styleId="Heading${level}"><w:name w:val="heading ${level}"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="9"/><w:qFormat/><w:pPr><w:keepNext/><w:keepLines/><w:spacing w:before="${level <= 2 ? 360 : 240}" w:after="120"/><w:outlineLvl w:val="${level - 1}"/></w:pPr><w:rPr><w:b/><w:sz w:val="${size}"/><w:szCs w:val="${size}"/></w:rPr></w:style>`;
  return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="${W}"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:eastAsia="Calibri" w:cs="Calibri"/><w:sz w:val="22"/><w:szCs w:val="22"/><w:lang w:val="${escapeXml(language)}"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="160" w:line="276" w:lineRule="auto"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style>${[
    heading(1, 40),
    heading(2, 30),
    heading(3, 26),
    heading(4, 24),
    heading(5, 22),
    heading(6, 22),
  ].join(
    "",
  )}<w:style w:type="paragraph" w:styleId="ListParagraph"><w:name w:val="List Paragraph"/><w:basedOn w:val="Normal"/><w:uiPriority w:val="34"/><w:qFormat/><w:pPr><w:spacing w:after="60"/><w:contextualSpacing/></w:pPr></w:style><w:style w:type="paragraph" w:styleId="Quote"><w:name w:val="Quote"/><w:basedOn w:val="Normal"/><w:qFormat/><w:pPr><w:ind w:left="720"/></w:pPr><w:rPr><w:i/><w:color w:val="4A5261"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Code"><w:name w:val="Code"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/><w:ind w:left="360"/></w:pPr><w:rPr><w:rFonts w:ascii="Consolas" w:hAnsi="Consolas" w:cs="Consolas"/><w:sz w:val="20"/></w:rPr></w:style><w:style w:type="paragraph" w:styleId="Source"><w:name w:val="Source"/><w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="80"/><w:ind w:left="360" w:hanging="360"/></w:pPr></w:style><w:style w:type="character" w:styleId="Hyperlink"><w:name w:val="Hyperlink"/><w:uiPriority w:val="99"/><w:unhideWhenUsed/><w:rPr><w:color w:val="0B57D0"/><w:u w:val="single"/></w:rPr></w:style><w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:space="0" w:color="C4C9D0"/><w:left w:val="single" w:sz="4" w:space="0" w:color="C4C9D0"/><w:bottom w:val="single" w:sz="4" w:space="0" w:color="C4C9D0"/><w:right w:val="single" w:sz="4" w:space="0" w:color="C4C9D0"/><w:insideH w:val="single" w:sz="4" w:space="0" w:color="C4C9D0"/><w:insideV w:val="single" w:sz="4" w:space="0" w:color="C4C9D0"/></w:tblBorders></w:tblPr></w:style></w:styles>`;
}
