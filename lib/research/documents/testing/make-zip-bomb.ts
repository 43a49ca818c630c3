import { deflateRawSync } from "node:zlib";
import { docxParts } from "./make-docx";
import { writeZip, type ZipFile } from "./zip-writer";

/**
 * A DOCX-looking ZIP that would unpack to far more than it weighs. Kinds:
 * - "declared" (default): word/document.xml declares 5 GiB (ZIP64 sizes);
 *   its data, 1 MiB of zeros deflated, is about 1 KiB;
 * - "lying": word/document.xml declares 2 KiB but inflates to 20 MiB;
 * - "entries": a valid Word document plus 10,000 empty files (one over the limit with its parts).
 * Small on disk and the same bytes every time. Test fixtures only.
 */
export function makeZipBomb(kind: "declared" | "lying" | "entries" = "declared"): Uint8Array {
  const parts: ZipFile[] = docxParts([{ text: "Nothing to see here." }]).filter(
    (part) => kind === "entries" || part.name !== "word/document.xml",
  );
  if (kind === "declared")
    parts.push({
      name: "word/document.xml",
      data: "",
      rawData: deflateRawSync(Buffer.alloc(1024 * 1024), { level: 9 }),
      declaredSize: 5 * 1024 ** 3,
    });
  else if (kind === "lying")
    parts.push({
      name: "word/document.xml",
      data: "",
      rawData: deflateRawSync(Buffer.alloc(20 * 1024 * 1024), { level: 9 }),
      declaredSize: 2048,
    });
  else
    for (let index = 0; index < 10_000; index++)
      parts.push({ name: `m/${index}`, data: "", method: "store" });
  return writeZip(parts);
}
