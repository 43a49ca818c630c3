import { createHash } from "node:crypto";
import {
  PDFArray,
  PDFDict,
  PDFDocument,
  PDFHexString,
  PDFName,
  type PDFObject,
  PDFRawStream,
  type PDFRef,
  PDFString,
  StandardFonts,
} from "pdf-lib";
import { makePng } from "./make-png";

/** The user password of `makePdf(…, { encrypted: true })`. */
export const ENCRYPTED_PDF_PASSWORD = "secret";

/** Options of `makePdf`. */
export interface MakePdfOptions {
  /** The document information's Title. Default: none. */
  title?: string;
  /** Encrypt with the standard security handler (RC4, 40 bits) and `ENCRYPTED_PDF_PASSWORD`. */
  encrypted?: boolean;
}

/**
 * A real PDF (written by pdf-lib) whose page n shows `pages[n - 1]`: one
 * line of Helvetica per "\n", an empty line as a paragraph gap, an empty
 * string as a page without text. Text must be in Windows-1252 (Helvetica's
 * encoding). The same arguments give the same bytes: no dates, no random id.
 * Test fixtures only.
 */
export async function makePdf(pages: string[], options: MakePdfOptions = {}): Promise<Uint8Array> {
  const document = await PDFDocument.create({ updateMetadata: false });
  const font = await document.embedFont(StandardFonts.Helvetica);
  if (options.title !== undefined) document.setTitle(options.title);
  for (const text of pages) {
    const page = document.addPage([612, 792]);
    let y = 740;
    for (const line of text === "" ? [] : text.split("\n")) {
      if (line !== "") page.drawText(line, { x: 56, y, size: 11, font });
      y -= 15;
      if (y < 40) break;
    }
  }
  const bytes = await document.save({ useObjectStreams: false });
  return options.encrypted ? encrypt(bytes, pages.join("\f")) : bytes;
}

/**
 * A scanned-looking PDF: each page only an image (grey stripes), no text
 * layer at all. Test fixtures only.
 */
export async function makeScannedPdf(pageCount = 2): Promise<Uint8Array> {
  const document = await PDFDocument.create({ updateMetadata: false });
  const image = await document.embedPng(makePng(200, 100));
  for (let index = 0; index < pageCount; index++) {
    const page = document.addPage([612, 792]);
    page.drawImage(image, { x: 56, y: 300, width: 500, height: 250 });
  }
  return document.save({ useObjectStreams: false });
}

/**
 * A PDF whose one page shows `text` in a CJK font that is not embedded and
 * uses the predefined CMap UniJIS-UCS2-H, as many Japanese PDFs do: its text
 * can only be read with pdf.js's character maps. Test fixtures only.
 */
export async function makeCjkPdf(text: string): Promise<Uint8Array> {
  const document = await PDFDocument.create({ updateMetadata: false });
  const page = document.addPage([612, 792]);
  const context = document.context;
  const descriptor = context.obj({
    Type: "FontDescriptor",
    FontName: "KozMinPro-Regular",
    Flags: 4,
    FontBBox: [0, -200, 1000, 900],
    ItalicAngle: 0,
    Ascent: 880,
    Descent: -120,
    CapHeight: 740,
    StemV: 80,
  });
  const cidFont = context.obj({
    Type: "Font",
    Subtype: "CIDFontType0",
    BaseFont: "KozMinPro-Regular",
    CIDSystemInfo: { Registry: PDFString.of("Adobe"), Ordering: PDFString.of("Japan1"), Supplement: 2 },
    FontDescriptor: context.register(descriptor),
  });
  const font = context.obj({
    Type: "Font",
    Subtype: "Type0",
    BaseFont: "KozMinPro-Regular",
    Encoding: "UniJIS-UCS2-H",
    DescendantFonts: [context.register(cidFont)],
  });
  page.node.setFontDictionary(PDFName.of("F1"), context.register(font));
  const codes = Buffer.from(text, "utf16le").swap16().toString("hex");
  page.node.set(
    PDFName.of("Contents"),
    context.register(context.flateStream(`BT /F1 24 Tf 56 700 Td <${codes}> Tj ET`)),
  );
  return document.save({ useObjectStreams: false });
}

// The standard security handler, revision 2 (PDF 32000-1, 7.6.3): 40-bit RC4.
const PADDING = Buffer.from("28bf4e5e4e758a4164004e56fffa01082e2e00b6d0683e802f0ca9fe6453697a", "hex");
const PERMISSIONS = -64;

/** Re-saves a PDF with every string and stream encrypted for `ENCRYPTED_PDF_PASSWORD`. */
async function encrypt(bytes: Uint8Array, seed: string): Promise<Uint8Array> {
  const document = await PDFDocument.load(bytes, { updateMetadata: false });
  const context = document.context;
  const fileId = md5(Buffer.from(`fathom test pdf\n${seed}`, "utf8"));
  const ownerKey = md5(padded("owner")).subarray(0, 5);
  const owner = rc4(ownerKey, padded(ENCRYPTED_PDF_PASSWORD));
  const permissions = Buffer.alloc(4);
  permissions.writeInt32LE(PERMISSIONS);
  const fileKey = md5(Buffer.concat([padded(ENCRYPTED_PDF_PASSWORD), owner, permissions, fileId])).subarray(
    0,
    5,
  );
  const user = rc4(fileKey, PADDING);

  for (const [ref, object] of context.enumerateIndirectObjects()) {
    const key = objectKey(fileKey, ref);
    if (object instanceof PDFRawStream) {
      encryptStrings(object.dict, key);
      context.assign(ref, PDFRawStream.of(object.dict, rc4(key, object.contents)));
    } else {
      context.assign(ref, encryptStrings(object, key));
    }
  }
  // Registered after the walk: the Encrypt dictionary's own strings stay plain.
  context.trailerInfo.Encrypt = context.register(
    context.obj({
      Filter: "Standard",
      V: 1,
      R: 2,
      O: PDFHexString.of(owner.toString("hex")),
      U: PDFHexString.of(user.toString("hex")),
      P: PERMISSIONS,
    }),
  );
  const id = PDFHexString.of(fileId.toString("hex"));
  context.trailerInfo.ID = context.obj([id, id]);
  return document.save({ useObjectStreams: false, updateFieldAppearances: false });
}

function encryptStrings(object: PDFObject, key: Buffer): PDFObject {
  if (object instanceof PDFString || object instanceof PDFHexString)
    return PDFHexString.of(rc4(key, Buffer.from(object.asBytes())).toString("hex"));
  if (object instanceof PDFDict) {
    for (const [name, value] of object.entries()) object.set(name, encryptStrings(value, key));
  } else if (object instanceof PDFArray) {
    for (let index = 0; index < object.size(); index++)
      object.set(index, encryptStrings(object.get(index), key));
  }
  return object;
}

function objectKey(fileKey: Buffer, ref: PDFRef): Buffer {
  const suffix = Buffer.alloc(5);
  suffix.writeUIntLE(ref.objectNumber, 0, 3);
  suffix.writeUInt16LE(ref.generationNumber, 3);
  return md5(Buffer.concat([fileKey, suffix])).subarray(0, fileKey.length + 5);
}

function padded(password: string): Buffer {
  return Buffer.concat([Buffer.from(password, "latin1"), PADDING]).subarray(0, 32);
}

function md5(data: Buffer): Buffer {
  return createHash("md5").update(data).digest();
}

/** RC4, which OpenSSL 3 keeps out of node:crypto by default. */
function rc4(key: Buffer, data: Uint8Array): Buffer {
  const state = Array.from({ length: 256 }, (_, index) => index);
  for (let i = 0, j = 0; i < 256; i++) {
    j = (j + state[i]! + key[i % key.length]!) & 255;
    [state[i], state[j]] = [state[j]!, state[i]!];
  }
  const out = Buffer.alloc(data.length);
  for (let index = 0, i = 0, j = 0; index < data.length; index++) {
    i = (i + 1) & 255;
    j = (j + state[i]!) & 255;
    [state[i], state[j]] = [state[j]!, state[i]!];
    out[index] = data[index]! ^ state[(state[i]! + state[j]!) & 255]!;
  }
  return out;
}
