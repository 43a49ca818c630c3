import { inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { makeZipBomb } from "./testing/make-zip-bomb";
import { writeZip } from "./testing/zip-writer";
import { entryData, readZipDirectory, ZipEntryCountError, ZipFormatError } from "./zip-directory";

describe("readZipDirectory", () => {
  it("lists names, methods and declared sizes without inflating", () => {
    const bytes = writeZip([
      { name: "a.txt", data: "hello hello hello hello", method: "deflate" },
      { name: "dir/b.bin", data: "stored", method: "store" },
      { name: "ü.txt", data: "x", encryptedFlag: true },
    ]);
    const entries = readZipDirectory(bytes);
    expect(
      entries.map(({ name, method, uncompressedSize, encrypted }) => ({
        name,
        method,
        uncompressedSize,
        encrypted,
      })),
    ).toEqual([
      { name: "a.txt", method: 8, uncompressedSize: 23, encrypted: false },
      { name: "dir/b.bin", method: 0, uncompressedSize: 6, encrypted: false },
      { name: "ü.txt", method: 8, uncompressedSize: 1, encrypted: true },
    ]);
    const first = entries[0]!;
    expect(Buffer.from(inflateRawSync(entryData(bytes, first))).toString()).toBe("hello hello hello hello");
  });

  it("reads ZIP64 sizes from the extra field", () => {
    const entries = readZipDirectory(makeZipBomb("declared"));
    const document = entries.find((entry) => entry.name === "word/document.xml");
    expect(document?.uncompressedSize).toBe(5 * 1024 ** 3);
    expect(document?.compressedSize).toBeLessThan(2048);
  });

  it("refuses more entries than asked, and bytes without a directory", () => {
    const bytes = writeZip(Array.from({ length: 5 }, (_, index) => ({ name: `${index}`, data: "" })));
    expect(() => readZipDirectory(bytes, 4)).toThrow(ZipEntryCountError);
    expect(() => readZipDirectory(bytes.subarray(0, bytes.length - 10))).toThrow(ZipFormatError);
    expect(() => readZipDirectory(new Uint8Array(10))).toThrow(ZipFormatError);
  });
});
