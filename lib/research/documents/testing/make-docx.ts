import { writeZip } from "./zip-writer";

/** One paragraph of `makeDocx`. */
export interface DocxParagraph {
  text: string;
  /** Styled "Heading 1" or "Heading 2". */
  heading?: 1 | 2;
}

const WORD_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main";
const RELATIONSHIPS_NS = "http://schemas.openxmlformats.org/package/2006/relationships";
const OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument";
const STYLES = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles";

/** The parts of a minimal Word document, for tests that build their own variants. */
export function docxParts(paragraphs: DocxParagraph[]): { name: string; data: string }[] {
  const body = paragraphs
    .map((paragraph) => {
      const style = paragraph.heading ? `<w:pPr><w:pStyle w:val="Heading${paragraph.heading}"/></w:pPr>` : "";
      return `<w:p>${style}<w:r><w:t xml:space="preserve">${escapeXml(paragraph.text)}</w:t></w:r></w:p>`;
    })
    .join("");
  const headingStyle = (level: number) =>
    `<w:style w:type="paragraph" w:styleId="Heading${level}"><w:name w:val="heading ${level}"/><w:basedOn w:val="Normal"/><w:pPr><w:outlineLvl w:val="${level - 1}"/></w:pPr></w:style>`;
  return [
    {
      name: "[Content_Types].xml",
      data:
        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
        `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
        `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
        `<Default Extension="xml" ContentType="application/xml"/>` +
        `<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>` +
        `<Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/>` +
        `</Types>`,
    },
    {
      name: "_rels/.rels",
      data:
        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
        `<Relationships xmlns="${RELATIONSHIPS_NS}"><Relationship Id="rId1" Type="${OFFICE_DOCUMENT}" Target="word/document.xml"/></Relationships>`,
    },
    {
      name: "word/_rels/document.xml.rels",
      data:
        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
        `<Relationships xmlns="${RELATIONSHIPS_NS}"><Relationship Id="rId1" Type="${STYLES}" Target="styles.xml"/></Relationships>`,
    },
    {
      name: "word/styles.xml",
      data:
        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
        `<w:styles xmlns:w="${WORD_NS}"><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>` +
        `${headingStyle(1)}${headingStyle(2)}</w:styles>`,
    },
    {
      name: "word/document.xml",
      data:
        `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n` +
        `<w:document xmlns:w="${WORD_NS}"><w:body>${body}<w:sectPr/></w:body></w:document>`,
    },
  ];
}

/**
 * A minimal Word document (.docx) with the given paragraphs, the way Word
 * lays out its parts (content types, relationships, styles with "heading 1"
 * and "heading 2", the document). The same paragraphs give the same bytes.
 * Test fixtures only.
 */
export function makeDocx(paragraphs: DocxParagraph[]): Uint8Array {
  return writeZip(docxParts(paragraphs));
}

function escapeXml(text: string): string {
  return text.replace(
    /[<>&"]/g,
    (character) => `&${{ "<": "lt", ">": "gt", "&": "amp", '"': "quot" }[character]};`,
  );
}
